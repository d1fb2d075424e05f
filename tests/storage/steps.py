"""Stories set up the way the desks do it, on a synchronous `Store` (before a bot runs,
or for the store's own tests): every state is reached by a transition `decide()` allows,
applied by the store method the desk calls; nothing writes a status directly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.acting import facts_of
from bot.article import Article, archive_doc
from bot.lifecycle import Action, Actor, Policy, Transition, decide
from storage.issues import EditionOutcome, EditionRun, IssueItem
from storage.records import Story, utcnow
from storage.store import Store

EDITOR_ROLE = 900
POLICY = Policy(editor_role_id=EDITOR_ROLE, required_approvals=1, allow_self_approval=False)
ARTICLE = {"headline": "Port strike ends", "dek": "Workers return.", "body": ["Text [1]."],
           "why_it_matters": "Ships move again.", "bottom_line": "Trade resumes."}


def editor(user_id: int) -> Actor:
    return Actor(user_id, frozenset({EDITOR_ROLE}))


def decided(store: Store, story_id: int, action: Action, by: int | None) -> Transition:
    """What the lifecycle allows editor `by` (None: the newsroom itself) to do now."""
    story = store.stories.get(story_id)
    facts = facts_of(story, store.review.approvals(story_id, story.current_revision))
    return decide(action, facts, editor(by) if by is not None else Actor.bot(), POLICY)


def write(store: Store, article: dict[str, Any] | None = None, *, by: int = 1,
          topic: str = "test story") -> Story:
    """A human draft, in review."""
    return store.create_story(decide(Action.WRITE, None, editor(by), POLICY), origin="human",
                              requested_by=by, topic=topic, article=article or ARTICLE,
                              reason="human draft")


def request(store: Store, *, by: int = 1, **story: Any) -> Story:
    """An AI draft request: the story is drafting, its job waits."""
    return store.create_story(decide(Action.REQUEST, None, editor(by), POLICY), origin="ai",
                              requested_by=by, job_kind="request", **story)


def approve(store: Store, story_id: int, *, by: int = 2) -> Story:
    story = store.stories.get(story_id)
    return store.approve(story_id, decided(store, story_id, Action.APPROVE, by),
                         revision=story.current_revision, editor_id=by, note=None)


def approved(store: Store, article: dict[str, Any] | None = None, **kw: Any) -> Story:
    return approve(store, write(store, article, **kw).id)


def publish(store: Store, story_id: int, *, by: int = 1,
            archive: dict[str, str] | None = None) -> Story:
    store.publish(story_id, decided(store, story_id, Action.PUBLISH, by), actor_id=by,
                  archive=archive or _doc(store, story_id))
    return store.stories.get(story_id)


def correct(store: Store, story_id: int, *, kind: str = "correction", text: str = "Fixed.",
            by: int = 2, article: dict[str, Any] | None = None) -> None:
    current = article or store.stories.revision(story_id).article
    store.correct(story_id, decided(store, story_id, Action.CORRECT, by), kind=kind, text=text,
                  editor_id=by, article=current,
                  archive=archive_doc(Article.from_dict(current)), notify=False)


def retract(store: Store, story_id: int, *, reason: str = "Withdrawn.", by: int = 2) -> Story:
    article = Article.from_dict(store.stories.revision(story_id).article)
    story, _, _ = store.retract(story_id, decided(store, story_id, Action.RETRACT, by),
                                reason=reason, actor_id=by,
                                archive=archive_doc(article, retracted=True))
    return story


def spike(store: Store, story_id: int, *, reason: str = "Dead.", by: int = 2) -> Story:
    return store.spike(story_id, decided(store, story_id, Action.SPIKE, by), actor_id=by,
                       reason=reason)


def _doc(store: Store, story_id: int) -> dict[str, str]:
    return archive_doc(Article.from_dict(store.stories.revision(story_id).article))


def issue(store: Store, story_ids: list[int], *, due_at: datetime | None = None,
          name: str = "Morning", link_base: str | None = None) -> EditionOutcome | None:
    """An edition run by the newsroom itself, publishing these stories as an issue."""
    due = due_at or utcnow()
    items = [IssueItem(s, decided(store, s, Action.PUBLISH, None), _doc(store, s))
             for s in story_ids]
    return store.publish_issue(EditionRun(due, name, due.strftime("%A %-d %B %Y"),
                                          link_base=link_base), items)
