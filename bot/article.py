"""The article model: the house format of spec section 2, in memory and as Markdown.

An `Article` is plain immutable data. Everything else in the newsroom (drafting, review
cards, checks, rendering, the archive) reads and writes articles through this module, so
the Markdown form has exactly one writer (`Article.to_markdown`) and one reader
(`Article.from_markdown`).

The reader (`bot.article_markdown`) is lenient because its input is often Claude's
output or an editor's paste. What it accepts, and the one thing it drops, are listed in
`Article.from_markdown`. It never rewrites article text: what it keeps is kept as
written, so the pre-publish checks see the defects an editor would see.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.article_markdown import ArticleFormatError, read_markdown
from bot.prose import count_words

LENGTHS: dict[str, tuple[int, int]] = {
    "brief": (150, 350),
    "standard": (400, 800),
    "long": (800, 1500),
}
"""Word ranges per requested length, used by the word-count check and the drafting prompt."""

WHY_IT_MATTERS = "Why It Matters"
BOTTOM_LINE = "The Bottom Line"
SOURCES = "Sources"


def disclosure_text(agency_name: str) -> str:
    """The standard disclosure line; one place so drafts, checks and docs agree on it."""
    return (
        f"This article was written by an AI newsroom agent of {agency_name} and reviewed "
        "by its editors. For corrections or feedback, use /feedback or the button below."
    )


# --------------------------------------------------------------------------- sources

_SEPARATOR_RE = re.compile(r"\s+[-–—|]\s+")
_DANGLING_RE = re.compile(r"^(?:[-–—|]\s+)+|(?:\s+[-–—|])+$|^[-–—|]$")  # "- T -" is "T"
_URL_RE = re.compile(r"^<?(?:https?://|www\.)\S+?>?$", re.IGNORECASE)
_MD_LINK_RE = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE_RE = re.compile(
    rf"""^\(?(?:
        \d{{4}}-\d{{2}}(?:-\d{{2}})?            # 2026-11-20, 2026-11
      | \d{{1,2}}\s+{_MONTH}\s+\d{{4}}         # 20 Nov 2026
      | {_MONTH}\s+\d{{1,2}},?\s+\d{{4}}       # November 20, 2026
      | {_MONTH}\s+\d{{4}}                     # Nov 2026
      | \d{{4}}                                # 2026
    )\)?$""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Source:
    """One entry of the Sources list; fields are kept as written (the date is not parsed)."""

    title: str
    publisher: str = ""
    url: str = ""
    date: str = ""  # as written, e.g. 2026-11-20

    def line(self) -> str:
        """The house form of a source: "Title - Publisher - URL - date", empty parts skipped."""
        parts = (self.title, self.publisher, self.url, self.date)
        return " - ".join(p.strip() for p in parts if p.strip())

    def is_blank(self) -> bool:
        """A source with no title and no URL cannot be found by a reader."""
        return not (self.title.strip() or self.url.strip())

    @classmethod
    def parse(cls, text: str) -> Source:
        """Read one source line, e.g. "Title - Publisher - https://... - 2026-11-20".

        Parts are split on " - " (or an en/em dash or "|"). The last part that is a URL and
        the last that is a date go to `url` and `date` (as `line()` writes them last); a
        Markdown link "[Title](url)" gives both title and URL. Of the other parts the first
        is the title and the rest, joined again with " - ", the publisher, so that
        `Source.parse(s.line()) == s` for every parsed `s`.
        """
        text = text.strip()
        title = url = date = ""
        link = _MD_LINK_RE.search(text)
        if link:
            title, url = link.group(1).strip(), link.group(2).strip()
            text = (text[: link.start()] + text[link.end() :]).strip(" -–—|")
        trimmed = (_DANGLING_RE.sub("", p.strip()).strip() for p in _SEPARATOR_RE.split(text))
        parts = [p for p in trimmed if p]
        url_at = None if url else _last_index(parts, _URL_RE)
        date_at = _last_index(parts, _DATE_RE, skip=url_at)
        url = parts[url_at].strip("<>") if url_at is not None else url
        date = parts[date_at].strip("()") if date_at is not None else ""
        texts = [p for i, p in enumerate(parts) if i not in (url_at, date_at)]
        if not title and texts:
            title = texts.pop(0)
        return cls(title=title, publisher=" - ".join(texts), url=url, date=date)

    def to_dict(self) -> dict[str, str]:
        """JSON-safe form."""
        return dataclasses.asdict(self)


def _last_index(parts: list[str], pattern: re.Pattern[str], skip: int | None = None) -> int | None:
    """Index of the last part matching the pattern (other than `skip`), or None."""
    found = [i for i, part in enumerate(parts) if i != skip and pattern.match(part)]
    return found[-1] if found else None


@dataclass(frozen=True)
class Article:
    """One article in the house format (spec section 2); immutable, so a revision is a value.

    Lists given for `body` or `sources` are turned into tuples, and source dicts into
    `Source`s, so callers building an article from JSON or a modal need no ceremony.
    """

    headline: str
    dek: str
    body: tuple[str, ...]  # paragraphs
    why_it_matters: str = ""
    bottom_line: str = ""
    sources: tuple[Source, ...] = ()
    disclosure: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", tuple(self.body))
        object.__setattr__(self, "sources", tuple(_as_source(s) for s in self.sources))

    # ---- Markdown

    def to_markdown(self) -> str:
        """The Markdown form of spec section 2; empty sections are left out.

        For an article read by `from_markdown`, `from_markdown(a.to_markdown()) == a` and
        `to_markdown` is a fixed point. A hand-built article round-trips too unless a field
        holds what the reader takes for structure: no dek (the first body paragraph would
        come back as the dek), a source title containing " - ", a body line "## Sources".
        """
        blocks = [f"# {' '.join(self.headline.split())}"]
        blocks += [p for p in (self.dek, *self.body) if p.strip()]
        for title, text in ((WHY_IT_MATTERS, self.why_it_matters), (BOTTOM_LINE, self.bottom_line)):
            if text.strip():
                blocks += [f"## {title}", text]
        if self.sources:
            blocks.append(f"## {SOURCES}")
            blocks.append("\n".join(f"{i}. {s.line()}" for i, s in enumerate(self.sources, 1)))
        if self.disclosure.strip():
            blocks += ["---", self.disclosure]
        return "\n\n".join(b.strip() for b in blocks) + "\n"

    @classmethod
    def from_markdown(cls, text: str, *, headline_required: bool = True) -> Article:
        """Read an article from Markdown, leniently (see the module docstring for why).

        Accepted:
        - the whole text wrapped in a ```/```markdown fence; a byte-order mark; CRLF;
        - before the headline: blank lines, HTML comments and *preamble lines*, dropped
          (logged). A preamble line is a chat opener ("Here is...", "Sure", "Certainly",
          "Below is", "Okay", "Of course", "I've/I have...") or a short line ending in ":".
          Any other text before the headline is an error, not silently lost;
        - the headline as "# Headline"; failing that (no "# " line at all) the first block
          if it is a "## ..." heading that is not a section name, a wholly bold line, a
          "Headline: ..." label, or a line of at most 200 characters standing alone (a
          blank line after it) that does not end with "." or ":";
        - section headings in any case and level, bold or plain, with or without a colon:
          "## Why it matters", "**Why It Matters**", "Why It Matters:", and the inline form
          "**Why it matters:** text"; "Bottom Line" for "The Bottom Line"; "References" for
          "Sources"; "## Disclosure";
        - sources one per line, numbered "1." / "1)" / "[1]" / "[1]:", bulleted or bare;
          numbers must run 1..N in order (or all be the same, Markdown's auto-numbering),
          because citations [n] point at them; an unnumbered label line ending in ":"
          ("Sources used:") among them is dropped (logged);
        - the disclosure after the last "---" (or "***", "___") that no section follows, or
          as a trailing block starting "This article was written/drafted/produced/
          generated...", or a "Disclosure" section.
        - after the article: closing chat lines ("Let me know if...", "I hope this
          helps", "Would you like...", "Feel free...") are dropped (logged), whether inside
          or outside a fence.
        Citation markers such as [1][2] and all other text are kept as written.

        Raises ArticleFormatError when there is no headline (unless `headline_required` is
        false: then the headline is empty, for checks to report) or the sources are
        misnumbered.
        """
        return cls(**read_markdown(text, headline_required=headline_required))

    # ---- JSON

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (lists and strings only), read back by `from_dict`."""
        return {
            "headline": self.headline,
            "dek": self.dek,
            "body": list(self.body),
            "why_it_matters": self.why_it_matters,
            "bottom_line": self.bottom_line,
            "sources": [s.to_dict() for s in self.sources],
            "disclosure": self.disclosure,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        """Inverse of `to_dict`; unknown keys are ignored so stored JSON can grow."""
        try:
            return cls(
                headline=str(d["headline"]),
                dek=str(d.get("dek", "")),
                body=tuple(str(p) for p in d.get("body", ())),
                why_it_matters=str(d.get("why_it_matters", "")),
                bottom_line=str(d.get("bottom_line", "")),
                sources=tuple(_as_source(s) for s in d.get("sources", ())),
                disclosure=str(d.get("disclosure", "")),
            )
        except (KeyError, TypeError) as exc:
            raise ArticleFormatError(f"not an article dict: missing or bad {exc}") from None

    # ---- helpers

    def word_count(self) -> int:
        """Words in body, "Why It Matters" and "The Bottom Line": what the length targets."""
        return count_words("\n\n".join((*self.body, self.why_it_matters, self.bottom_line)))

    def replace(self, **changes: Any) -> Article:
        """A copy with some fields changed (the article is immutable)."""
        return dataclasses.replace(self, **changes)

    def paragraphs(self) -> Iterator[tuple[str, str]]:
        """(where, text) for every prose paragraph a reader sees, headline excluded."""
        yield "dek", self.dek
        for i, paragraph in enumerate(self.body, 1):
            yield f"body paragraph {i}", paragraph
        yield WHY_IT_MATTERS, self.why_it_matters
        yield BOTTOM_LINE, self.bottom_line

    def all_text(self) -> Iterator[tuple[str, str]]:
        """(where, text) for every piece of text in the article, for whole-article scans."""
        yield "headline", self.headline
        yield from self.paragraphs()
        for i, source in enumerate(self.sources, 1):
            yield f"source {i}", source.line()
        yield "disclosure", self.disclosure


def _as_source(value: Source | dict[str, Any] | str) -> Source:
    """Accept a Source, its dict form, or a source line."""
    if isinstance(value, Source):
        return value
    if isinstance(value, dict):
        return Source(**{k: str(v) for k, v in value.items() if k in _SOURCE_FIELDS})
    if isinstance(value, str):
        return Source.parse(value)
    raise TypeError(f"not a source: {value!r}")


_SOURCE_FIELDS = frozenset(f.name for f in dataclasses.fields(Source))


def archive_doc(article: Article, *, retracted: bool = False) -> dict[str, str]:
    """What the archive (and its search index) holds of a story: a retracted story keeps
    its headline and dek there, not its text."""
    body = "" if retracted else "\n\n".join(
        (*article.body, article.why_it_matters, article.bottom_line))
    return {"headline": article.headline, "dek": article.dek, "body": body}
