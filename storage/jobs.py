"""Draft jobs: a request to Claude is a row before it is a call, so a restart loses none.

Every step of a job is a guarded update from `pending`: a job cancelled meanwhile (its
story was spiked) answers `Conflict` to the drafter, which then keeps nothing.
"""

from __future__ import annotations

from datetime import datetime

from storage.base import Conflict, Tables
from storage.records import DraftJob, iso, utcnow
from storage.states import JobState


class DraftJobs(Tables):
    def add(self, story_id: int, kind: str, requested_by: int,
            instructions: str | None = None) -> int:
        now = iso(utcnow())
        return self.insert("draft_jobs", {
            "story_id": story_id, "kind": kind, "instructions": instructions,
            "state": JobState.PENDING, "requested_by": requested_by, "created_at": now,
            "updated_at": now})

    def get(self, job_id: int) -> DraftJob:
        """The job, or `NotFoundError`."""
        return DraftJob.from_row(self.db["draft_jobs"].get(job_id))

    def latest(self, story_id: int) -> DraftJob | None:
        """The story's newest job (what a retry repeats)."""
        row = next(self.db["draft_jobs"].rows_where("story_id = ?", [story_id],
                                                    order_by="id DESC", limit=1), None)
        return DraftJob.from_row(row) if row else None

    def pending(self) -> list[DraftJob]:
        rows = self.db["draft_jobs"].rows_where("state = ?", [JobState.PENDING], order_by="id")
        return [DraftJob.from_row(r) for r in rows]

    def attempt(self, job_id: int, *, error: str | None,
                next_attempt_at: datetime | None) -> DraftJob:
        """Count an attempt that did not produce a draft (an outage, a timeout)."""
        self._step(job_id, "attempts = attempts + 1, last_error = ?, next_attempt_at = ?",
                   [error, iso(next_attempt_at)])
        return self.get(job_id)

    def mark_done(self, job_id: int) -> DraftJob:
        """The draft arrived (the caller stores it in the same transaction)."""
        self._step(job_id, "state = ?, attempts = attempts + 1", [JobState.DONE])
        return self.get(job_id)

    def mark_failed(self, job_id: int, reason: str) -> DraftJob:
        """Retries exhausted, or the model refused."""
        self._step(job_id, "state = ?, last_error = ?", [JobState.FAILED, reason])
        return self.get(job_id)

    def _step(self, job_id: int, sets: str, params: list) -> None:
        with self.atomic():
            if not self.changed(f"UPDATE draft_jobs SET {sets}, updated_at = ? WHERE id = ? "
                                "AND state = ?",
                                [*params, iso(utcnow()), job_id, JobState.PENDING]):
                raise Conflict(f"draft job {job_id} is {self.get(job_id).state}")

    def cancel_pending(self, story_id: int) -> int:
        """A story was spiked or redrafted: its waiting jobs never call Claude."""
        return self.changed("UPDATE draft_jobs SET state = ?, updated_at = ? WHERE story_id = ? "
                            "AND state = ?", [JobState.CANCELLED, iso(utcnow()), story_id,
                                              JobState.PENDING])
