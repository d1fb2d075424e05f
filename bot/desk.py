"""The story desk: what happens when an editor writes, edits, approves, sends back or
spikes a story. Each public method is the whole of one action: look the story up,
ask the lifecycle whether this member may do this now, run the checks where they
matter, and write the change with its audit row in one transaction.
"""

from __future__ import annotations

import difflib
import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlite_utils.db import NotFoundError

from bot.acting import CHANGED_MEANWHILE, decided, facts_of, find_story
from bot.admin import Admin
from bot.article import Article, Source, disclosure_text
from bot.checks import CheckContext, Finding, blocking, run_checks
from bot.errors import InvalidInput, NotFound, Refused, refused_on_conflict
from bot.evidence import load_grounding, source_of
from bot.lifecycle import Action, Actor, State, Transition, decide, require_editor
from bot.text import clean_text
from storage.base import Conflict
from storage.records import Approval, AuditEvent, Revision, SourceDoc, Story
from storage.store import Store
from storage.worker import AsyncStore

log = logging.getLogger(__name__)


@dataclass
class ApprovalResult:
    story: Story
    transition: Transition
    findings: list[Finding] = field(default_factory=list)
    override: str | None = None

    @property
    def summary(self) -> str:
        t = self.transition
        if t.complete:
            return f"Approved: #{self.story.id} is ready to schedule ({t.approvals} of " \
                   f"{t.required} approvals)."
        return f"Approval recorded: {t.approvals} of {t.required} approvals; " \
               f"{t.required - t.approvals} more needed."


@dataclass
class StoryView:
    """Everything `/draft show` displays."""

    story: Story
    revision: Revision
    article: Article
    approvals: list[Approval]
    history: list[AuditEvent]
    revisions: list[Revision]


class StoryDesk:
    def __init__(self, store: AsyncStore, admin: Admin,
                 stop_drafting: Callable[[int], None] = lambda story_id: None) -> None:
        self.store = store
        self.admin = admin
        self.stop_drafting = stop_drafting

    @property
    def policy(self):  # type: ignore[no-untyped-def]
        return self.admin.current.policy

    async def get(self, story_id: int) -> Story:
        return await find_story(self.store, story_id)

    async def decide(self, story_id: int, action: Action, actor: Actor
                     ) -> tuple[Story, Transition]:
        return await decided(self.store, story_id, action, actor, self.policy)

    def context(self, story: Story) -> CheckContext:
        return CheckContext(ai_drafted=story.origin == "ai",
                            min_sources=self.admin.current.min_sources,
                            length=story.length if story.origin == "ai" else None,
                            agency_name=self.admin.current.name)

    async def findings(self, story: Story, revision: Revision, article: Article
                       ) -> list[Finding]:
        """Every check of this revision, the grounding checks against the stored sources."""
        grounding = await load_grounding(self.store, story, revision, article,
                                         self.admin.current.name)
        return run_checks(article, replace(self.context(story), grounding=grounding))

    async def article(self, story: Story, number: int | None = None) -> tuple[Revision, Article]:
        if not story.current_revision:
            raise Refused(f"Story #{story.id} has no text yet (it is {story.status}).")
        try:
            revision = await self.store.stories.revision(story.id, number)
        except NotFoundError:
            raise NotFound(f"Story #{story.id} has no revision {number} "
                           f"(it has 1 to {story.current_revision}).") from None
        return revision, Article.from_dict(revision.article)

    async def checks(self, story_id: int, actor: Actor) -> tuple[Story, list[Finding]]:
        require_editor(actor, self.policy)
        story = await self.get(story_id)
        revision, article = await self.article(story)
        return story, await self.findings(story, revision, article)

    # ---- writing -------------------------------------------------------------------

    def finish(self, article: Article) -> Article:
        """A human draft gets the agency's disclosure like an AI one."""
        return article.replace(disclosure=disclosure_text(self.admin.current.name))

    async def write(self, actor: Actor, article: Article) -> Story:
        transition = decide(Action.WRITE, None, actor, self.policy)
        article = self.finish(article)
        return await self.store.create_story(
            transition, origin="human", requested_by=actor.user_id, topic=article.headline,
            article=article.to_dict(), reason="human draft")

    async def edit(self, story_id: int, actor: Actor, article: Article,
                   reason: str = "edited") -> Revision:
        story, transition = await self.decide(story_id, Action.EDIT, actor)
        _, current = await self.article(story)
        article = self.finish(article)
        if article == current:
            raise InvalidInput("Nothing changed: the text is the same as revision "
                               f"{story.current_revision}. No new revision was made.")
        with refused_on_conflict(CHANGED_MEANWHILE.format(id=story_id)):
            return await self.store.stories.revise(
                story_id, transition, article=article.to_dict(), author_id=actor.user_id,
                author_kind="human", reason=reason)

    # ---- review --------------------------------------------------------------------

    async def approve(self, story_id: int, actor: Actor, note: str | None = None,
                      override: str | None = None) -> ApprovalResult:
        story, transition = await self.decide(story_id, Action.APPROVE, actor)
        current, article = await self.article(story)
        findings = await self.findings(story, current, article)
        failing = blocking(findings)
        if override is not None:
            override = clean_text(override, "override", 500)
        if failing and not override:
            names = ", ".join(f.check for f in failing)
            raise Refused(
                f"Approval blocked: {len(failing)} required check(s) fail ({names}). "
                "Fix the draft, or approve with `override:` and a written reason.\n"
                + "\n".join(f"- {f.message}" for f in failing[:6]))
        note = clean_text(note, "note", 500) if note else None
        revision, policy = story.current_revision, self.policy
        override = override if failing else None

        def decide_and_record(s: Store) -> tuple[Story, Transition]:
            """Count and record in one step on the store's thread: of two editors
            approving at once, exactly one is the last needed, whoever comes second."""
            with s.atomic():
                now = s.stories.get(story_id)
                if now.current_revision != revision:
                    raise Conflict(f"story #{story_id} is now at revision {now.current_revision}")
                move = decide(Action.APPROVE, facts_of(now, s.review.approvals(story_id, revision)),
                              actor, policy)
                return s.approve(story_id, move, revision=revision, editor_id=actor.user_id,
                                 note=note, override=override), move

        with refused_on_conflict(CHANGED_MEANWHILE.format(id=story_id)):
            story, transition = await self.store.run(decide_and_record)
        return ApprovalResult(story, transition, findings, override)

    async def request_changes(self, story_id: int, actor: Actor, reason: str) -> Story:
        reason = clean_text(reason, "reason", 1000)
        _, transition = await self.decide(story_id, Action.REQUEST_CHANGES, actor)
        with refused_on_conflict(CHANGED_MEANWHILE.format(id=story_id)):
            return await self.store.stories.move(story_id, transition, actor_id=actor.user_id,
                                                 detail=reason)

    async def spike(self, story_id: int, actor: Actor, reason: str) -> Story:
        """Kill a story; a draft Claude is still writing is cancelled with it (no job is
        left pending to be resumed after a restart)."""
        reason = clean_text(reason, "reason", 500)
        _, transition = await self.decide(story_id, Action.SPIKE, actor)
        with refused_on_conflict(CHANGED_MEANWHILE.format(id=story_id)):
            spiked = await self.store.spike(story_id, transition, actor_id=actor.user_id,
                                            reason=reason)
        self.stop_drafting(story_id)
        return spiked

    # ---- reading -------------------------------------------------------------------

    async def show(self, story_id: int, actor: Actor, number: int | None = None) -> StoryView:
        require_editor(actor, self.policy)
        story = await self.get(story_id)
        revision, article = await self.article(story, number)

        def read(s: Store) -> tuple[list[Approval], list[AuditEvent], list[Revision]]:
            return (s.review.approvals(story_id, revision.number), s.review.history(story_id),
                    s.stories.revisions(story_id))

        approvals, history, revisions = await self.store.run(read)
        return StoryView(story, revision, article, approvals, history, revisions)

    async def source(self, story_id: int, actor: Actor, number: int
                     ) -> tuple[Source, SourceDoc | None]:
        """Source `number` of the current revision's list, with what the newsroom stored."""
        require_editor(actor, self.policy)
        story = await self.get(story_id)
        _, article = await self.article(story)
        if not 1 <= number <= len(article.sources):
            raise NotFound(f"Story #{story_id} has no source {number} (its list has "
                           f"{len(article.sources)}).")
        return await self.store.run(lambda s: source_of(s, story, article, number))

    async def diff(self, story_id: int, actor: Actor, old: int | None, new: int | None) -> str:
        require_editor(actor, self.policy)
        story = await self.get(story_id)
        new = new or story.current_revision
        old = old or max(new - 1, 1)
        if old == new:
            raise InvalidInput(f"Pick two different revisions (story #{story_id} has "
                               f"{story.current_revision}).")
        (_, a), (_, b) = await self.article(story, old), await self.article(story, new)
        lines = difflib.unified_diff(
            _wrap(a.to_markdown()), _wrap(b.to_markdown()),
            fromfile=f"#{story_id} revision {old}", tofile=f"#{story_id} revision {new}",
            lineterm="", n=1)
        return "\n".join(lines) or "The two revisions have the same text."

    async def list(self, actor: Actor, status: str | None = None) -> list[Story]:
        require_editor(actor, self.policy)
        return await self.store.stories.recent([State(status)] if status else None, limit=25)


def _wrap(markdown: str, width: int = 100) -> list[str]:
    """Diff by sentence-ish lines so a one-word change does not mark a whole paragraph."""
    out: list[str] = []
    for line in markdown.splitlines():
        out.extend(textwrap.wrap(line, width) or [""])
    return out
