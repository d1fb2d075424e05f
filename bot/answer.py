"""Reading Claude's answer: the article's text, its citations, and the pages it fetched.

Three things the raw content blocks do not give directly:
- Only the article is the article. Claude may write before using a tool ("I'll fetch the
  page first."); everything up to the last tool result is talk, and so is text before the
  article's "# " headline line. Parsing it would put the talk in the headline, or fail
  the draft as a format error and pay for the same request again.
- Citations name a document by index: the request's documents first, then each page the
  web fetch tool returned, in order. Both map back to the editor's source numbers.
- A citation becomes an [n] marker once per paragraph, at its end, and only when the
  paragraph does not already cite [n] (Claude often writes the markers itself, in a later
  block of the same paragraph than the cited one).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.article import Article
from bot.check_base import cited_numbers, normal
from storage.grounding import Citation, Fetched

log = logging.getLogger(__name__)

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_H1_LINE = re.compile(r"^#[ \t]+\S", re.MULTILINE)


@dataclass
class Answer:
    """What a draft answer holds, with citations still keyed by raw paragraph text."""

    text: str
    passages: list[tuple[str, int, str]] = field(default_factory=list)
    """(raw paragraph, source number, cited text) for every citation of the article."""
    fetched: dict[int, Fetched] = field(default_factory=dict)
    """Source number -> what the web fetch tool returned for that source's URL."""

    def citations(self, article: Article) -> list[Citation]:
        """The citations by the article paragraph they support ("body paragraph 2")."""
        places = [("headline", normal(article.headline)),
                  *((where, normal(text)) for where, text in article.paragraphs() if text)]
        out: dict[tuple[str, int, str], None] = {}
        for raw, number, cited in self.passages:
            key = normal(raw)
            where = next((w for w, p in places if p and (p in key or key in p)), "article")
            out[(where, number, cited)] = None
        return [Citation(w, n, c) for w, n, c in out]


def read_answer(content: Sequence[Any], doc_numbers: Sequence[int],
                url_numbers: Mapping[str, int]) -> Answer:
    """The article of an answer, markers added, with its citations and fetched pages."""
    pages = _fetched_pages(content, url_numbers)
    last_tool = max((i for i, b in enumerate(content) if _type(b).endswith("_tool_result")),
                    default=-1)
    text, spans = "", []
    for block in content[last_tool + 1:]:
        if _type(block) != "text":
            continue
        passages = _passages(block, doc_numbers, pages, url_numbers)
        spans.append((len(text), len(text) + len(block.text), passages))
        text += block.text
    start = _article_start(text)
    text, passages = _mark_paragraphs(text, spans, start)
    fetched = {n: page for n, page in pages if n is not None and page.text}
    return Answer(text, passages, fetched)


def _type(block: Any) -> str:
    return str(getattr(block, "type", "") or "")


def _fetched_pages(content: Sequence[Any], url_numbers: Mapping[str, int]
                   ) -> list[tuple[int | None, Fetched]]:
    """Each page the web fetch tool returned, in order, with the source it was for."""
    pages = []
    for block in content:
        result = getattr(block, "content", None)
        if _type(block) != "web_fetch_tool_result" or _type(result) != "web_fetch_result":
            continue
        doc = getattr(result, "content", None)
        source = getattr(doc, "source", None)
        data = getattr(source, "data", None) if _type(source) == "text" else None
        url = str(getattr(result, "url", "") or "")
        page = Fetched(url=url, text=data or "", title=getattr(doc, "title", None),
                       retrieved_at=_when(getattr(result, "retrieved_at", None)))
        pages.append((_source_for(url, url_numbers), page))
    return pages


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _source_for(url: str, url_numbers: Mapping[str, int]) -> int | None:
    """The source number of a fetched URL; a redirect may add a slash or switch scheme."""
    if url in url_numbers:
        return url_numbers[url]
    key = _url_key(url)
    return next((n for u, n in url_numbers.items() if _url_key(u) == key), None)


def _url_key(url: str) -> str:
    return re.sub(r"^https?://(www\.)?|#.*$|/+$", "", url.strip().lower())


def _passages(block: Any, doc_numbers: Sequence[int], pages: list[tuple[int | None, Fetched]],
              url_numbers: Mapping[str, int]) -> list[tuple[int, str]]:
    """(source number, cited text) of every citation of a text block we can place."""
    out = []
    for citation in getattr(block, "citations", None) or []:
        index = getattr(citation, "document_index", None)
        url = getattr(citation, "url", None)
        number = None
        if isinstance(index, int) and 0 <= index < len(doc_numbers):
            number = doc_numbers[index]
        elif isinstance(index, int) and 0 <= index - len(doc_numbers) < len(pages):
            number = pages[index - len(doc_numbers)][0]
        elif url:
            number = _source_for(url, url_numbers)
        if number is None:
            log.info("dropped a citation Claude made of no listed source: %r", citation)
            continue
        out.append((number, str(getattr(citation, "cited_text", "") or "")))
    return out


def _article_start(text: str) -> int:
    """Where the article begins: its "# " headline line when there is one."""
    match = _H1_LINE.search(text)
    if match and text[:match.start()].strip():
        log.info("dropped text before the headline: %r", text[:match.start()].strip()[:200])
    return match.start() if match else 0


Span = tuple[int, int, list[tuple[int, str]]]


def _mark_paragraphs(text: str, spans: list[Span], start: int
                     ) -> tuple[str, list[tuple[str, int, str]]]:
    """The text from `start`, each paragraph ending with the markers its citations call
    for that it does not carry yet; and every citation with its (marked) paragraph."""
    bounds = [0] + [m.end() for m in _PARAGRAPH_BREAK.finditer(text)] + [len(text)]
    pieces: list[str] = []
    passages: list[tuple[str, int, str]] = []
    for begin, end in itertools.pairwise(bounds):
        if end <= start:
            continue
        begin = max(begin, start)
        paragraph = text[begin:end]
        cited = [p for s, e, ps in spans if s < end and e > begin for p in ps]
        paragraph = _with_markers(paragraph, [n for n, _ in cited])
        passages += [(paragraph, n, c) for n, c in cited]
        pieces.append(paragraph)
    return "".join(pieces), passages


def _with_markers(paragraph: str, numbers: list[int]) -> str:
    """Append [n] for each cited source the paragraph does not already cite."""
    body = paragraph.rstrip()
    have = cited_numbers(body)
    missing = [n for n in dict.fromkeys(numbers) if n not in have]
    if not missing or not body or body.lstrip().startswith("#"):
        return paragraph
    markers = "".join(f"[{n}]" for n in missing)
    joined = body + markers if body.endswith("]") else f"{body} {markers}"
    return joined + paragraph[len(body):]
