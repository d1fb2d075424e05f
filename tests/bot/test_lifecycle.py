"""Every action x every state x {editor, requester, non-editor, the bot}, from the spec."""

import itertools

import pytest

from bot.errors import Refused
from bot.lifecycle import Action, Actor, Policy, State, StoryFacts, decide, require_editor

S = State
EDITOR_ROLE = 900
EDITOR = Actor(user_id=1, role_ids=frozenset({EDITOR_ROLE}))
REQUESTER = Actor(user_id=2, role_ids=frozenset({EDITOR_ROLE}))
NON_EDITOR = Actor(user_id=3, role_ids=frozenset({5}))
BOT = Actor.bot()
POLICY = Policy(editor_role_id=EDITOR_ROLE, required_approvals=1, allow_self_approval=False)

BEFORE_PUBLISHED = {S.DRAFTING, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED,
                    S.FAILED}
EDITABLE = {S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED}
# Spec section 3, typed out again (not imported) so the table is checked, not echoed:
# action -> (from states, to state, who)
SPEC = {
    Action.REQUEST: ({None}, S.DRAFTING, "editor"),
    Action.DRAFT_DONE: ({S.DRAFTING}, S.IN_REVIEW, "bot"),
    Action.DRAFT_FAILED: ({S.DRAFTING}, S.FAILED, "bot"),
    Action.RETRY: ({S.FAILED}, S.DRAFTING, "editor"),
    Action.WRITE: ({None}, S.IN_REVIEW, "editor"),
    Action.REVISE: (EDITABLE, S.DRAFTING, "editor"),
    Action.EDIT: (EDITABLE, S.IN_REVIEW, "editor"),
    Action.APPROVE: ({S.IN_REVIEW}, S.APPROVED, "editor"),
    Action.REQUEST_CHANGES: ({S.IN_REVIEW, S.APPROVED}, S.CHANGES_REQUESTED, "editor"),
    Action.SCHEDULE: ({S.APPROVED}, S.SCHEDULED, "editor"),
    Action.UNSCHEDULE: ({S.SCHEDULED}, S.APPROVED, "editor"),
    Action.PUBLISH: ({S.APPROVED, S.SCHEDULED}, S.PUBLISHED, "either"),
    Action.SPIKE: (BEFORE_PUBLISHED, S.SPIKED, "editor"),
    Action.CORRECT: ({S.PUBLISHED}, S.PUBLISHED, "editor"),
    Action.RETRACT: ({S.PUBLISHED}, S.RETRACTED, "editor"),
}
ACTORS = {"editor": EDITOR, "requester": REQUESTER, "non-editor": NON_EDITOR, "bot": BOT}
STATES = [None, *State]


def facts(state: State | None) -> StoryFacts | None:
    if state is None:
        return None
    return StoryFacts(status=state, requested_by=REQUESTER.user_id, revision=1)


def expected(action: Action, state: State | None, who: str) -> State | None:
    sources, to, allowed = SPEC[action]
    if state not in sources:
        return None
    if who == "non-editor":
        return None
    if who == "bot":
        return to if allowed in {"bot", "either"} else None
    if allowed == "bot":
        return None
    if action is Action.APPROVE and who == "requester":
        return None  # self-approval is off
    return to


@pytest.mark.parametrize(
    ("action", "state", "who"), list(itertools.product(Action, STATES, ACTORS))
)
def test_lifecycle_table(action: Action, state: State | None, who: str) -> None:
    want = expected(action, state, who)
    if want is None:
        with pytest.raises(Refused) as caught:
            decide(action, facts(state), ACTORS[who], POLICY)
        assert str(caught.value).endswith(".")  # a sentence, shown as is
    else:
        transition = decide(action, facts(state), ACTORS[who], POLICY)
        assert (transition.from_state, transition.to_state) == (state, want)


def test_the_table_covers_every_action() -> None:
    assert set(SPEC) == set(Action)


def test_self_approval_allowed_by_policy() -> None:
    policy = Policy(EDITOR_ROLE, required_approvals=1, allow_self_approval=True)
    t = decide(Action.APPROVE, facts(S.IN_REVIEW), REQUESTER, policy)
    assert t.to_state is S.APPROVED


def test_last_author_cannot_approve_their_own_edit() -> None:
    story = StoryFacts(status=S.IN_REVIEW, requested_by=99, last_author_id=EDITOR.user_id)
    with pytest.raises(Refused, match="last edited"):
        decide(Action.APPROVE, story, EDITOR, POLICY)


def test_two_approvals_needed_and_the_same_editor_counts_once() -> None:
    policy = Policy(EDITOR_ROLE, required_approvals=2)
    first = decide(Action.APPROVE, facts(S.IN_REVIEW), EDITOR, policy)
    assert (first.to_state, first.approvals, first.required) == (S.IN_REVIEW, 1, 2)
    assert not first.complete
    again = StoryFacts(S.IN_REVIEW, REQUESTER.user_id, revision=1,
                       approvers=frozenset({EDITOR.user_id}))
    with pytest.raises(Refused, match="already approved revision 1; it has 1 of 2"):
        decide(Action.APPROVE, again, EDITOR, policy)
    second = decide(Action.APPROVE, again, Actor(7, frozenset({EDITOR_ROLE})), policy)
    assert second.to_state is S.APPROVED and second.complete


def test_refusals_say_why() -> None:
    with pytest.raises(Refused, match="cannot schedule a story that is in review; it must be "
                                      "approved"):
        decide(Action.SCHEDULE, facts(S.IN_REVIEW), EDITOR, POLICY)
    with pytest.raises(Refused, match="editor role"):
        decide(Action.SPIKE, facts(S.IN_REVIEW), NON_EDITOR, POLICY)


def test_without_an_editor_role_nobody_is_an_editor() -> None:
    with pytest.raises(Refused, match="/newsroom setup"):
        require_editor(EDITOR, Policy(editor_role_id=None))
