"""Drafting with Claude: requests become jobs in the database, jobs become revisions.

A draft request is stored (story + sources + job) before any API call, so a crash or
restart loses nothing: `resume_all()` picks up every pending job. Each attempt streams
from the API under a timeout of ours (the SDK no longer caps `retry-after`); the SDK's
own retries absorb short outages, and beyond them the job backs off and tries again
until `NEWSROOM_DRAFT_MAX_ATTEMPTS`, after which the story goes to `failed`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.acting import decided, find_story, story_facts
from bot.admin import Admin
from bot.answer import read_answer
from bot.article import Article, disclosure_text
from bot.article_markdown import ArticleFormatError
from bot.claude import Claude, api_errors
from bot.claude_turn import (
    Meter,
    Permanent,
    Transient,
    check_window,
    classify,
    fetch_notes,
    run_turn,
)
from bot.config import Settings
from bot.draft_request import _Plan, plan_request, source_list
from bot.draft_types import AttachmentIn, DraftOutcome, ProgressSink
from bot.errors import InvalidInput, Refused
from bot.lifecycle import Action, Actor, StoryFacts, Transition, decide
from bot.log import log_context
from bot.prompts import length_words
from bot.prose import count_words
from bot.sources import attachment_source, check_text_sources, parse_sources
from bot.text import clean_optional, clean_text
from storage import spending
from storage.base import Conflict
from storage.grounding import Citation, Fetched, finish_draft
from storage.records import DraftJob, SourceDoc, Story, Usage, utcnow
from storage.states import AttemptOutcome
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1.5
MAX_TOPIC = 300
MAX_NOTES = 1000
MAX_INSTRUCTIONS = 1000
SPIKED = "the story was spiked while Claude was writing it; the draft was discarded"


@dataclass(frozen=True)
class Draft:
    """A drafted article with what backs it: its API citations and the pages fetched."""

    article: Article
    citations: list[Citation]
    fetched: dict[int, Fetched]


class Drafter:
    """Creates draft jobs and runs them; one asyncio task per running job."""

    def __init__(self, store: AsyncStore, claude: Claude, admin: Admin,
                 settings: Settings) -> None:
        self.store = store
        self.claude = claude
        self.admin = admin
        self.settings = settings
        self.backoff_base = 5.0
        self.default_sink: Callable[[int], ProgressSink] | None = None
        self.tasks: dict[int, asyncio.Task[DraftOutcome]] = {}
        self._stopped: set[int] = set()

    # ---- creating jobs -------------------------------------------------------------

    async def request(self, actor: Actor, *, topic: str, sources_text: str | None,
                      attachment: AttachmentIn | None, length: str | None,
                      notes: str | None) -> Story:
        """Validate everything, then store story + sources + job in one transaction."""
        self.claude.require()
        transition = decide(Action.REQUEST, None, actor, self.admin.current.policy)
        topic = clean_text(topic, "topic", MAX_TOPIC, multiline=False)
        notes = clean_optional(notes, "notes", MAX_NOTES)
        docs = parse_sources(sources_text)
        check_text_sources(docs)
        if attachment is not None:
            attachment_source(attachment.filename, attachment.content_type, attachment.size)
            data = await attachment.read()
            docs.append(attachment_source(attachment.filename, attachment.content_type,
                                          len(data), data))
        if not docs:
            raise InvalidInput("Give at least one source (`sources` or `file`): drafts are "
                               "written from sources only.")
        return await self.store.create_story(
            transition, origin="ai", requested_by=actor.user_id, topic=topic,
            length=length, notes=notes, sources=docs, job_kind="request",
        )

    async def revise(self, story_id: int, actor: Actor, instructions: str) -> DraftJob:
        self.claude.require()
        instructions = clean_text(instructions, "instructions", MAX_INSTRUCTIONS)
        story = await self._story(story_id)
        transition = decide(Action.REVISE, await self.facts(story), actor,
                            self.admin.current.policy)
        return await self.store.start_job(story_id, transition, kind="revise",
                                          actor_id=actor.user_id, instructions=instructions)

    async def retry(self, story_id: int, actor: Actor) -> DraftJob:
        self.claude.require()
        story = await self._story(story_id)
        transition = decide(Action.RETRY, await self.facts(story), actor,
                            self.admin.current.policy)
        previous = await self.store.jobs.latest(story_id)
        kind = previous.kind if previous else "request"
        return await self.store.start_job(
            story_id, transition, kind=kind, actor_id=actor.user_id,
            instructions=previous.instructions if previous else None)

    async def _story(self, story_id: int) -> Story:
        return await find_story(self.store, story_id)

    async def facts(self, story: Story) -> StoryFacts:
        return await story_facts(self.store, story)

    # ---- running jobs --------------------------------------------------------------

    def start(self, story_id: int, sink: ProgressSink | None = None
              ) -> asyncio.Task[DraftOutcome]:
        """Run the story's pending job in the background, one run per story at a time.
        Every caller has just queued a job: one queued while the story's last run is still
        reporting its outcome (the card, the thread, the editor's reply) runs after it."""
        running = self.tasks.get(story_id)
        after = running if running is not None and not running.done() else None
        task = asyncio.create_task(self._run_story(story_id, sink, after),
                                   name=f"draft-{story_id}")
        self.tasks[story_id] = task
        task.add_done_callback(lambda t: self._forget(story_id, t))
        return task

    def _forget(self, story_id: int, task: asyncio.Task[DraftOutcome]) -> None:
        if self.tasks.get(story_id) is task:
            del self.tasks[story_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("draft job for story %s crashed", story_id, exc_info=task.exception())

    async def resume_all(self) -> int:
        """At start-up: every job left pending by a crash or restart runs again."""
        jobs = await self.store.jobs.pending()
        for job in jobs:
            sink = self.default_sink(job.story_id) if self.default_sink else None
            self.start(job.story_id, sink)
        if jobs:
            log.info("resumed %d unfinished draft job(s)", len(jobs))
        return len(jobs)

    async def stop(self) -> None:
        """Cancel running jobs; they stay pending in the database and resume next start."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def cancel(self, story_id: int) -> None:
        """The story was spiked: stop the call to Claude now (its job is already cancelled
        in the database) and tell the editor who is watching the progress."""
        task = self.tasks.get(story_id)
        if task is not None and not task.done():
            self._stopped.add(story_id)
            task.cancel()

    async def _run_story(self, story_id: int, sink: ProgressSink | None,
                         after: asyncio.Task[DraftOutcome] | None = None) -> DraftOutcome:
        sink = sink or (self.default_sink(story_id) if self.default_sink else None)
        try:
            if after is not None:
                await asyncio.wait({after})  # the previous run finishes reporting first
            with log_context(story_id=story_id):
                outcome = await self._run(story_id, sink)
        except asyncio.CancelledError:
            if story_id not in self._stopped:
                raise  # shutting down: the job stays pending and resumes at the next start
            self._stopped.discard(story_id)
            outcome = await self._stopped_outcome(story_id)
        if sink is not None:
            try:
                await sink.finished(outcome)
            except Exception:
                log.exception("could not report the outcome of story %s", story_id)
        return outcome

    async def _run(self, story_id: int, sink: ProgressSink | None) -> DraftOutcome:
        limit = self.settings.draft_max_attempts
        while True:
            job = next((j for j in await self.store.jobs.pending() if j.story_id == story_id),
                       None)
            if job is None:
                return DraftOutcome(await self.store.stories.get(story_id),
                                    reason="no pending job")
            await self._wait_turn(job, limit, sink)
            try:
                draft, usage, notes = await self._attempt(job, sink)
            except Transient as exc:
                if job.attempts + 1 >= limit:
                    return await self._fail(job, f"{exc}; gave up after {limit} attempts")
                delay = min(self.backoff_base * 2 ** job.attempts, 300.0)
                log.warning("draft of story %s: %s; retry in %.0f s", story_id, exc, delay)
                try:
                    await self.store.jobs.attempt(
                        job.id, error=str(exc), next_attempt_at=utcnow() + timedelta(seconds=delay))
                except Conflict:
                    return await self._stopped_outcome(story_id)
                continue
            except Permanent as exc:
                return await self._fail(job, str(exc))
            reason = "AI draft" if job.kind == "request" else f"AI revision: {job.instructions}"
            reason += "".join(f" (note: {n})" for n in notes)
            try:
                _, done = await self._decided(story_id, Action.DRAFT_DONE)
                revision = await self.store.run(functools.partial(
                    finish_draft, job_id=job.id, move=done, article=draft.article.to_dict(),
                    usage=usage, reason=reason, citations=draft.citations,
                    fetched=draft.fetched))
            except (Refused, Conflict):  # spiked while Claude was writing: not kept
                return await self._stopped_outcome(story_id)
            story = await self.store.stories.get(story_id)
            log.info("story %s drafted: revision %s, %s output tokens", story_id,
                     revision.number, usage.output_tokens)
            return DraftOutcome(story, revision, attempts=job.attempts + 1, notes=notes)

    async def _wait_turn(self, job: DraftJob, limit: int, sink: ProgressSink | None) -> None:
        if job.next_attempt_at is None:
            return
        delay = (job.next_attempt_at - utcnow()).total_seconds()
        if delay > 0:
            if sink is not None:
                await _quietly(sink.waiting(job.attempts + 1, limit, delay, job.last_error or ""))
            await asyncio.sleep(delay)

    async def _decided(self, story_id: int, action: Action) -> tuple[Story, Transition]:
        """The newsroom's own move of a story it is drafting (Refused once spiked)."""
        return await decided(self.store, story_id, action, Actor.bot(),
                             self.admin.current.policy)

    async def _stopped_outcome(self, story_id: int) -> DraftOutcome:
        return DraftOutcome(await self.store.stories.get(story_id), reason=SPIKED, stopped=True)

    async def _fail(self, job: DraftJob, reason: str) -> DraftOutcome:
        log.warning("draft of story %s failed: %s", job.story_id, reason)
        try:
            _, failed = await self._decided(job.story_id, Action.DRAFT_FAILED)
            story = await self.store.fail_job(job.id, failed, reason=reason)
        except (Refused, Conflict):
            return await self._stopped_outcome(job.story_id)
        return DraftOutcome(story, reason=reason, attempts=job.attempts + 1)

    async def _attempt(self, job: DraftJob, sink: ProgressSink | None
                       ) -> tuple[Draft, Usage, list[str]]:
        story = await self.store.stories.get(job.story_id)
        sources = await self.store.stories.sources(job.story_id)
        current, number = None, story.current_revision
        if job.kind == "revise" and number:
            current = Article.from_dict((await self.store.stories.revision(job.story_id)).article)
        plan = plan_request(self.claude.model, story, sources, job, current, number)
        meter = Meter(self.claude.model)
        outcome = AttemptOutcome.FAILED
        try:
            async with asyncio.timeout(self.settings.draft_timeout):
                if job.attempts == 0:
                    await check_window(self.claude, plan.kwargs, sources)
                message = await self._stream(plan, story, sink, meter)
            outcome = AttemptOutcome.OK
        except (Transient, Permanent):
            raise
        except (TimeoutError, *api_errors()) as exc:
            raise classify(exc) from exc
        finally:
            await self._spent(job, meter, outcome)
        notes = fetch_notes(message, plan.url_numbers)
        if notes:
            log.warning("draft of story %s: %s", job.story_id, "; ".join(notes))
        return self._compose(message, plan, sources), meter.total, notes

    async def _spent(self, job: DraftJob, meter: Meter, outcome: str) -> None:
        """Record what the attempt cost, failed or not, for `/newsroom stats`."""
        if not meter.billed:
            return
        try:
            await self.store.run(lambda s: spending.record(
                s, story_id=job.story_id, job_id=job.id, purpose=job.kind, outcome=outcome,
                requests=meter.billed, usage=meter.total))
        except Exception:
            log.exception("could not record the usage of story %s", job.story_id)

    async def _stream(self, plan: _Plan, story: Story, sink: ProgressSink | None,
                      meter: Meter) -> Any:
        target = length_words(story.length)
        text, last = "", 0.0

        async def progress(piece: str) -> None:
            nonlocal text, last
            text += piece
            if sink is not None and time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                await _quietly(sink.progress(count_words(text), target, text))

        return await run_turn(await self.claude.load(), plan.kwargs, meter, progress)

    def _compose(self, message: Any, plan: _Plan, sources: list[SourceDoc]) -> Draft:
        """The article of the answer (see `bot.answer`). An answer that is not an article
        is not retried: the same paid request would most likely get the same answer."""
        answer = read_answer(message.content, plan.doc_numbers, plan.url_numbers)
        try:
            article = Article.from_markdown(answer.text)
        except ArticleFormatError as exc:
            raise Permanent(f"Claude's answer was not an article ({exc}); nothing was "
                            "stored (retry the draft)") from exc
        titles = {n: page.title for n, page in answer.fetched.items() if page.title}
        article = article.replace(sources=source_list(sources, titles),
                                  disclosure=disclosure_text(self.admin.current.name))
        return Draft(article, answer.citations(article), answer.fetched)


async def _quietly(awaitable: Awaitable[None]) -> None:
    """Progress is a courtesy: a failed edit (expired token) must not fail the draft."""
    try:
        await awaitable
    except Exception as exc:  # noqa: BLE001 - a courtesy edit must not fail the draft
        log.debug("progress update failed: %s", exc)


