"""Stored grounding material: the text the web fetch tool returned for URL sources, and
the passages Claude cited for each AI revision (table `citations`, migration
m012_grounding). Functions over a `Store`, run in its thread via `AsyncStore.run`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.records import Revision, SourceDoc, Usage, iso, utcnow
from storage.states import Move
from storage.store import Store


@dataclass(frozen=True)
class Fetched:
    """What the web fetch tool returned for one URL."""

    url: str
    text: str
    title: str | None = None
    retrieved_at: datetime | None = None


@dataclass(frozen=True)
class Citation:
    """One API citation of a revision: the paragraph, the source number, the cited text."""

    paragraph: str
    source: int
    cited_text: str


def finish_draft(store: Store, job_id: int, move: Move, *, article: dict[str, Any],
                 usage: Usage, reason: str, citations: Iterable[Citation],
                 fetched: Mapping[int, Fetched]) -> Revision:
    """The draft arrived: its revision, the fetched source texts and its citations, in
    one transaction (`fetched` maps source positions to what was fetched for them)."""
    with store.atomic():
        revision = store.finish_job(job_id, move, article=article, usage=usage, reason=reason)
        for position, page in fetched.items():
            store.db.execute(
                "UPDATE sources SET text = ?, fetched_at = ? WHERE story_id = ? AND "
                "position = ? AND kind = 'url'",
                [page.text, iso(page.retrieved_at or utcnow()), revision.story_id, position])
        store.db["citations"].insert_all(
            {"story_id": revision.story_id, "revision": revision.number,
             "paragraph": c.paragraph, "source": c.source, "cited_text": c.cited_text}
            for c in citations)
    return revision


def citations(store: Store, story_id: int, revision: int) -> list[Citation]:
    rows = store.db.query("SELECT paragraph, source, cited_text FROM citations WHERE "
                          "story_id = ? AND revision = ? ORDER BY id", [story_id, revision])
    return [Citation(**row) for row in rows]


def fetched_text(store: Store, url: str) -> SourceDoc | None:
    """The newest stored text of a URL, whichever story fetched it (a human draft may list
    a page the newsroom has read before)."""
    rows = list(store.db.query(
        "SELECT * FROM sources WHERE url = ? AND text IS NOT NULL ORDER BY fetched_at DESC, "
        "id DESC LIMIT 1", [url]))
    return SourceDoc.from_row(rows[0]) if rows else None
