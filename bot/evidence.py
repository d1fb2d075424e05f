"""The grounding material of a story's revision, from the store: each listed source's
stored text, the revision's API citations, the publication year.

The article's Sources list is what its [n] markers point at, so texts are looked up per
entry of that list: the story's own source with the same URL or title (an editor may
have reordered or trimmed the list), else the one at the same position when the list
still has the story's length; for a URL no source of this story has, the newest text the
newsroom fetched of that page for another story. Anything else has no stored text, and
the checks say so.
"""

from __future__ import annotations

from bot.article import Article, Source
from bot.grounding import CitedPassage, Grounding
from storage.grounding import citations, fetched_text
from storage.records import Revision, SourceDoc, Story, utcnow
from storage.store import Store
from storage.worker import AsyncStore


async def load_grounding(store: AsyncStore, story: Story, revision: Revision,
                         article: Article, agency_name: str) -> Grounding:
    """Everything the grounding checks compare this revision with (one store round trip)."""
    return await store.run(lambda s: grounding_of(s, story, revision, article, agency_name))


def grounding_of(store: Store, story: Story, revision: Revision, article: Article,
                 agency_name: str) -> Grounding:
    docs = store.stories.sources(story.id)
    texts = {n: _text_for(store, entry, n, docs, len(article.sources))
             for n, entry in enumerate(article.sources, start=1)}
    passages = None
    if revision.author_kind == "ai":
        passages = tuple(CitedPassage(c.paragraph, c.source, c.cited_text)
                         for c in citations(store, story.id, revision.number))
    year = (story.published_at or utcnow()).year
    extra = (*(s.line() for s in article.sources), agency_name)
    return Grounding(texts, citations=passages, year=year, extra_names=extra)


def _text_for(store: Store, entry: Source, number: int, docs: list[SourceDoc],
              listed: int) -> str | None:
    doc = _match(entry, number, docs, listed)
    if doc is None and entry.url:
        doc = fetched_text(store, entry.url)
    return doc.text if doc is not None else None


def _match(entry: Source, number: int, docs: list[SourceDoc], listed: int) -> SourceDoc | None:
    if entry.url:
        same = [d for d in docs if d.url == entry.url]
        if same:
            return same[0]
    title = entry.title.strip().casefold()
    same = [d for d in docs if title and d.title.strip().casefold() == title]
    if same:
        return same[0]
    if listed == len(docs) and 0 < number <= len(docs) and not entry.url:
        return docs[number - 1] if docs[number - 1].kind != "url" else None
    return None


def source_of(store: Store, story: Story, article: Article, number: int
              ) -> tuple[Source, SourceDoc | None]:
    """Entry `number` of the article's Sources list and the stored source behind it (the
    one whose text the grounding checks read), or None when there is no stored text."""
    entry = article.sources[number - 1]
    docs = store.stories.sources(story.id)
    doc = _match(entry, number, docs, len(article.sources))
    if (doc is None or doc.text is None) and entry.url:
        doc = fetched_text(store, entry.url) or doc
    return entry, doc
