"""The story lifecycle of spec section 3, as data, and the one function that applies it.

Every action on a story goes through `decide()`: it checks the state, the actor's role
and the approval rules, and either returns the transition or raises `Refused` with a
sentence the member can act on; the store applies exactly that transition. Cogs and
services never test roles or states themselves: what they need to know (which actions a
state offers, whether readers may see a story) is asked here.

The states are named in `storage.states` (the store must name them too and may not
import the bot) and re-exported from here; the rules between them are this module's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

from bot.errors import Refused
from storage.states import PUBLIC as PUBLIC
from storage.states import State as State


class Action(StrEnum):
    REQUEST = "request"
    DRAFT_DONE = "draft_done"
    DRAFT_FAILED = "draft_failed"
    RETRY = "retry"
    WRITE = "write"
    REVISE = "revise"
    EDIT = "edit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    PUBLISH = "publish"
    SPIKE = "spike"
    CORRECT = "correct"
    RETRACT = "retract"

    @property
    def verb(self) -> str:
        return _VERBS.get(self, self.value.replace("_", " "))


_VERBS = {
    Action.REQUEST_CHANGES: "request changes on",
    Action.DRAFT_DONE: "finish drafting",
    Action.DRAFT_FAILED: "fail",
}


class Who(Enum):
    EDITOR = "editor"
    BOT = "bot"
    EDITOR_OR_BOT = "editor or bot"


@dataclass(frozen=True)
class Rule:
    """One row of the lifecycle table; `to` is None when it depends on the approvals."""

    sources: frozenset[State | None]
    to: State | None
    who: Who


S = State
_BEFORE_PUBLISHED = frozenset(
    {S.DRAFTING, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED, S.FAILED}
)
_EDITABLE = frozenset({S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED})

RULES: dict[Action, Rule] = {
    Action.REQUEST: Rule(frozenset({None}), S.DRAFTING, Who.EDITOR),
    Action.DRAFT_DONE: Rule(frozenset({S.DRAFTING}), S.IN_REVIEW, Who.BOT),
    Action.DRAFT_FAILED: Rule(frozenset({S.DRAFTING}), S.FAILED, Who.BOT),
    Action.RETRY: Rule(frozenset({S.FAILED}), S.DRAFTING, Who.EDITOR),
    Action.WRITE: Rule(frozenset({None}), S.IN_REVIEW, Who.EDITOR),
    Action.REVISE: Rule(_EDITABLE, S.DRAFTING, Who.EDITOR),
    Action.EDIT: Rule(_EDITABLE, S.IN_REVIEW, Who.EDITOR),
    Action.APPROVE: Rule(frozenset({S.IN_REVIEW}), None, Who.EDITOR),
    Action.REQUEST_CHANGES: Rule(frozenset({S.IN_REVIEW, S.APPROVED}), S.CHANGES_REQUESTED,
                                 Who.EDITOR),
    Action.SCHEDULE: Rule(frozenset({S.APPROVED}), S.SCHEDULED, Who.EDITOR),
    Action.UNSCHEDULE: Rule(frozenset({S.SCHEDULED}), S.APPROVED, Who.EDITOR),
    Action.PUBLISH: Rule(frozenset({S.APPROVED, S.SCHEDULED}), S.PUBLISHED, Who.EDITOR_OR_BOT),
    Action.SPIKE: Rule(_BEFORE_PUBLISHED, S.SPIKED, Who.EDITOR),
    Action.CORRECT: Rule(frozenset({S.PUBLISHED}), S.PUBLISHED, Who.EDITOR),
    Action.RETRACT: Rule(frozenset({S.PUBLISHED}), S.RETRACTED, Who.EDITOR),
}


def offers(state: State | str, action: Action) -> bool:
    """Whether a story in `state` can take `action` at all (someone may; who is
    `decide`'s question): what the card's buttons show."""
    return State(state) in RULES[action].sources


def is_public(state: State | str) -> bool:
    """Readers may see it: published, or retracted (its notice stays up)."""
    return State(state) in PUBLIC


@dataclass(frozen=True)
class Actor:
    """Who is acting: a member (with their role ids) or the bot itself."""

    user_id: int
    role_ids: frozenset[int] = frozenset()
    is_bot: bool = False
    is_admin: bool = False

    @classmethod
    def bot(cls, user_id: int = 0) -> Actor:
        return cls(user_id=user_id, is_bot=True)


@dataclass(frozen=True)
class Policy:
    """The approval rules in force (environment merged with /newsroom setup)."""

    editor_role_id: int | None
    required_approvals: int = 1
    allow_self_approval: bool = False


@dataclass(frozen=True)
class StoryFacts:
    """What the rules need to know about a story, independent of storage."""

    status: State
    requested_by: int
    last_author_id: int | None = None
    revision: int = 0
    approvers: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Transition:
    action: Action
    from_state: State | None
    to_state: State
    approvals: int = 0
    required: int = 0

    @property
    def complete(self) -> bool:
        """For approvals: whether this one was the last needed."""
        return self.to_state is not State.IN_REVIEW


def is_editor(actor: Actor, policy: Policy) -> bool:
    return policy.editor_role_id is not None and policy.editor_role_id in actor.role_ids


def require_editor(actor: Actor, policy: Policy) -> None:
    """For editorial commands that do not act on one story (lists, queues, triage)."""
    if policy.editor_role_id is None:
        raise Refused(
            "No editor role is set up yet: a server admin must run `/newsroom setup` "
            "with `editor_role` first."
        )
    if not is_editor(actor, policy):
        raise Refused("Only editors can do that: you need the newsroom's editor role.")


def decide(action: Action, story: StoryFacts | None, actor: Actor, policy: Policy) -> Transition:
    """The transition for this action, or `Refused` saying why not. Changes nothing."""
    rule = RULES[action]
    _check_who(action, rule, actor, policy)
    current = story.status if story else None
    if current not in rule.sources:
        raise Refused(_wrong_state(action, current, rule))
    if action is Action.APPROVE:
        assert story is not None
        return _approve(story, actor, policy)
    assert rule.to is not None
    return Transition(action, current, rule.to)


def _check_who(action: Action, rule: Rule, actor: Actor, policy: Policy) -> None:
    if actor.is_bot:
        if rule.who is Who.EDITOR:
            raise Refused(f"Only an editor can {action.verb} a story.")
        return
    if rule.who is Who.BOT:
        raise Refused(f"Only the newsroom itself can {action.verb} a story.")
    require_editor(actor, policy)


def _wrong_state(action: Action, current: State | None, rule: Rule) -> str:
    allowed = sorted(s.label for s in rule.sources if s is not None)
    if current is None:
        return f"There is no story to {action.verb}."
    if not allowed:
        return f"You cannot {action.verb} an existing story."
    return (
        f"You cannot {action.verb} a story that is {current.label}; "
        f"it must be {' or '.join(allowed)}."
    )


def _approve(story: StoryFacts, actor: Actor, policy: Policy) -> Transition:
    own = {story.requested_by, story.last_author_id} - {None}
    if actor.user_id in own and not policy.allow_self_approval:
        role = "requested" if actor.user_id == story.requested_by else "last edited"
        raise Refused(
            f"You {role} this story, so another editor has to approve it "
            "(self-approval is off)."
        )
    if actor.user_id in story.approvers:
        raise Refused(
            f"You already approved revision {story.revision}; it has "
            f"{len(story.approvers)} of {policy.required_approvals} approvals."
        )
    count = len(story.approvers) + 1
    to = State.APPROVED if count >= policy.required_approvals else State.IN_REVIEW
    return Transition(Action.APPROVE, story.status, to, count, policy.required_approvals)
