"""The article model: the house format of spec section 2, in memory and as Markdown.

An `Article` is plain immutable data. Everything else in the newsroom (drafting, review
cards, checks, rendering, the archive) reads and writes articles through this module, so
the Markdown form has exactly one writer (`Article.to_markdown`) and one reader
(`Article.from_markdown`).

The reader is lenient because its input is often Claude's output or an editor's paste.
What it accepts, and the one thing it drops, are listed in `Article.from_markdown`.
It never rewrites article text: what it keeps is kept as written, so the pre-publish
checks see the defects an editor would see.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidInput

log = logging.getLogger(__name__)

LENGTHS: dict[str, tuple[int, int]] = {
    "brief": (150, 350),
    "standard": (400, 800),
    "long": (800, 1500),
}
"""Word ranges per requested length, used by the word-count check and the drafting prompt."""

WHY_IT_MATTERS = "Why It Matters"
BOTTOM_LINE = "The Bottom Line"
SOURCES = "Sources"


class ArticleFormatError(InvalidInput, ValueError):
    """Text that cannot be read as an article; the message says what is wrong and is safe
    to show to an editor (it is an `InvalidInput`, and a `ValueError` for plain callers)."""


class _NoHeadline(ArticleFormatError):
    """No line can be the headline."""


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


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt inc ltd co corp llc plc vs etc e.g i.e cf al approx
    est dept univ gov sen rep gen col lt sgt capt cmdr adm pres jan feb mar apr
    jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun u.s u.k u.n e.u a.m p.m
    ph.d b.a m.a d.c n.y l.a""".split()
)
_BOUNDARY_RE = re.compile(
    r"""(?<=[.!?…])                       # sentence punctuation, then
        (?:["'”’)\]*_]|\[\d+(?:\s*[,–-]\s*\d+)*\])*   # closers and citation markers
        (\s+)                             # the gap
        (?=["'“‘(\[*_]?[A-Z0-9])          # the next sentence starts with a capital or digit
    """,
    re.VERBOSE,
)


_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "fig", "vol", "p", "pp"})


def _ends_with_abbreviation(text: str, following: str = "") -> bool:
    """True when the text before a full stop is an abbreviation or an initial ("J.").

    "No." and "Fig." are abbreviations only before a number ("No. 5"); otherwise "no."
    ends a sentence.
    """
    word = re.split(r"[\s(\"“‘'\[]", text)[-1].rstrip(".").lower()
    if word in _NUMBER_ABBREVIATIONS:
        return following[:1].isdigit()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_gaps(text: str) -> list[tuple[int, int]]:
    """(start, end) of the whitespace between sentences, skipping "U.S.", "Dr. Lee", "3.5".

    Shared by the repetition check and the renderer's splitter, so both agree on what a
    sentence is. Finding too few gaps is the safe error here: it can only make the
    repetition check miss a repeat, never invent one.
    """
    gaps = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        head = text[start : match.start(1)]
        core = _CITATION_RE.sub("", head).rstrip().rstrip("\"'”’)]*_")
        if core.endswith(".") and _ends_with_abbreviation(core, text[match.end(1) :]):
            continue
        gaps.append((match.start(1), match.end(1)))
        start = match.end(1)
    return gaps


def split_sentences(text: str) -> list[str]:
    """The sentences of a piece of prose, stripped (see `sentence_gaps`)."""
    bounds = [0, *(i for gap in sentence_gaps(text) for i in gap), len(text)]
    pieces = (text[bounds[i] : bounds[i + 1]].strip() for i in range(0, len(bounds), 2))
    return [p for p in pieces if p]


# --------------------------------------------------------------------------- article

_CITATION_RE = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
_WORD_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")


def count_words(text: str) -> int:
    """Words as a reader counts them: citation markers are not words, "U.S." is one."""
    return len(_WORD_RE.findall(_CITATION_RE.sub(" ", text)))


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
        lines = _prepare(text).split("\n")
        try:
            headline, rest = _take_headline(lines)
        except _NoHeadline:
            if headline_required:
                raise
            headline, rest = "", lines
        return _assemble(headline, _blocks(rest))

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


# --------------------------------------------------------------------------- parsing

_FENCE_RE = re.compile(r"\A\s*```[\w-]*[ \t]*\n(.*)\n```\s*\Z", re.DOTALL)
_CLOSING_HASHES = r"(?:[ \t]+#+)?[ \t]*$"  # "# Title ##" is "Title"; "# C#" is "C#"
_H1_RE = re.compile(r"^#[ \t]+(\S.*?)" + _CLOSING_HASHES)
_HEADING_RE = re.compile(r"^#{1,6}[ \t]+(.*?)" + _CLOSING_HASHES)
_BREAK_RE = re.compile(r"^[ \t]*(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_COMMENT_RE = re.compile(r"^\s*<!--.*-->\s*$")
_PREAMBLE_RE = re.compile(
    r"^(?:here(?:'s|’s| is| are)|sure\b|certainly\b|below is|okay\b|ok\b|of course\b"
    r"|i(?:'ve|’ve| have) )",
    re.IGNORECASE,
)
_POSTAMBLE_RE = re.compile(
    r"^(?:let me know\b|i hope this\b|would you like\b|feel free\b|if you(?:'d|’d| would) like\b"
    r"|happy to (?:adjust|revise|help)\b|shall i\b)",
    re.IGNORECASE,
)
_BOLD_LINE_RE = re.compile(r"^(\*\*|__)(?P<text>[^*_].*?)\1$")
_HEADLINE_LABEL_RE = re.compile(r"^(?:\*\*)?headline:?(?:\*\*)?:?\s+(?P<text>.+)$", re.IGNORECASE)
_SECTION_NAMES = {
    "why it matters": "why",
    "the bottom line": "bottom",
    "bottom line": "bottom",
    "sources": "sources",
    "references": "sources",
    "disclosure": "disclosure",
}
_SECTION_RE = re.compile(
    r"""^(?P<hashes>\#{1,6}[ \t]+)?
        (?P<open>\*\*|__)?[ \t]*
        (?P<name>why\ it\ matters|(?:the\ )?bottom\ line|sources|references|disclosure)
        [ \t]*(?P<colon1>:)?[ \t]*(?P<close>\*\*|__)?[ \t]*(?P<colon2>:)?
        [ \t]*(?P<rest>.*?)(?:[ \t]+\#+)?[ \t]*$""",
    re.VERBOSE | re.IGNORECASE,
)
_DISCLOSURE_RE = re.compile(
    r"^[*_]*(?:this\s+(?:article|story|piece|report)\s+(?:was|has\s+been|is)\s+"
    r"(?:written|drafted|produced|generated|created)|disclosure\s*:)",
    re.IGNORECASE,
)
_ITEM_RE = re.compile(r"^\s*(?:\[(?P<bracket>\d+)\]:?|(?P<number>\d+)[.)]|[-*+•])\s+(?P<text>.*)$")


def _prepare(text: str) -> str:
    """Normalise line endings, drop a BOM, unwrap a fence around the whole text and drop
    closing chat lines ("Let me know if...") that would otherwise join the disclosure."""
    text = _drop_postamble(text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    fenced = _FENCE_RE.match(text)
    return _drop_postamble(fenced.group(1)) if fenced else text


def _drop_postamble(text: str) -> str:
    """Drop closing chat lines and the blank lines before them."""
    lines = text.rstrip().split("\n")
    while lines and _POSTAMBLE_RE.match(lines[-1].strip()):
        log.info("dropped a closing chat line: %r", lines.pop())
        while lines and not lines[-1].strip():
            lines.pop()
    return "\n".join(lines) + "\n"


def _is_preamble(line: str) -> bool:
    """Lines that are obviously talk about the article rather than article text."""
    line = line.strip()
    if _COMMENT_RE.match(line) or _BREAK_RE.match(line):
        return True
    return bool(_PREAMBLE_RE.match(line)) or (line.endswith(":") and len(line) <= 120)


def _section_of(line: str) -> tuple[str, str] | None:
    """(section key, text after the label) when the line opens a section, else None.

    A "#" heading or a bare label must be the whole line ("## Why It Matters for chips" is a
    subheading, not the section); a bold or colon label may carry text after it.
    """
    match = _SECTION_RE.match(line.strip())
    if not match:
        return None
    key = _SECTION_NAMES[" ".join(match["name"].lower().split())]
    rest = match["rest"]
    labelled = bool(match["colon1"] or match["colon2"] or match["close"])
    if rest and (match["hashes"] or not labelled):
        return None
    if bool(match["open"]) != bool(match["close"]):
        return None
    return key, rest


def _take_headline(lines: list[str]) -> tuple[str, list[str]]:
    """Find the headline; return it and the lines after it (see `from_markdown` for rules)."""
    h1 = next((i for i, line in enumerate(lines) if _H1_RE.match(line)), None)
    if h1 is not None:
        before = [line for line in lines[:h1] if line.strip()]
        stray = [line for line in before if not _is_preamble(line)]
        if stray:
            raise ArticleFormatError(
                f"text before the headline: {_brief(stray[0])!r}; put '# Headline' first"
            )
        if before:
            log.info("dropped %d preamble line(s) before the headline", len(before))
        return _unbold(_H1_RE.match(lines[h1]).group(1)), lines[h1 + 1 :]  # type: ignore[union-attr]
    return _take_fallback_headline(lines)


def _take_fallback_headline(lines: list[str]) -> tuple[str, list[str]]:
    """No "# " line: accept a "##" heading, a bold line, a label or a title-like line."""
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or _is_preamble(line):
            continue
        headline = _fallback_headline(line, lines[i + 1] if i + 1 < len(lines) else "")
        if headline is None:
            break
        return headline, lines[i + 1 :]
    raise _NoHeadline(
        "no headline: the article must start with a line '# Headline' "
        "(found " + (_brief(next((x for x in lines if x.strip()), "")) or "no text") + ")"
    )


def _fallback_headline(line: str, next_line: str) -> str | None:
    """The headline text if this first line can only be a headline, else None."""
    heading = _HEADING_RE.match(line)
    if heading:
        return None if _section_of(line) else _unbold(heading.group(1))
    if _section_of(line):
        return None
    label = _HEADLINE_LABEL_RE.match(line)
    if label:
        return _unbold(label["text"])
    title_like = not next_line.strip() and len(line) <= 200 and not line.endswith((".", ":"))
    if _BOLD_LINE_RE.match(line) or title_like:
        return _unbold(line)
    return None


def _unbold(text: str) -> str:
    """Strip bold from "**Headline**" (emphasis on a heading adds nothing) and runs of
    spaces (a headline is one line)."""
    bold = _BOLD_LINE_RE.match(text.strip())
    return " ".join((bold["text"] if bold else text).split())


@dataclass
class _Block:
    """A run of lines, or a marker: kind is "text", "break" or "section" (key in `text`)."""

    kind: str
    text: str = ""
    lines: list[str] = dataclasses.field(default_factory=list)


def _blocks(lines: list[str]) -> list[_Block]:
    """Group lines into paragraphs; headings, rules and section labels stand alone."""
    blocks: list[_Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(_Block("text", lines=current.copy()))
            current.clear()

    for line in lines:
        section = _section_of(line)
        if not line.strip() or _COMMENT_RE.match(line):
            flush()
        elif _BREAK_RE.match(line):
            flush()
            blocks.append(_Block("break"))
        elif section:
            flush()
            blocks.append(_Block("section", text=section[0]))
            if section[1]:
                current.append(section[1])
        elif _HEADING_RE.match(line):
            flush()
            blocks.append(_Block("text", lines=[line.rstrip()]))
        else:
            current.append(line.rstrip())
    flush()
    return blocks


def _assemble(headline: str, blocks: list[_Block]) -> Article:
    """Distribute blocks over dek, body, sections, sources and disclosure."""
    blocks, disclosure = _split_disclosure(blocks)
    parts: dict[str, list[str]] = {"main": [], "why": [], "bottom": [], "disclosure": []}
    source_lines: list[str] = []
    state = "main"
    for block in blocks:
        if block.kind == "section":
            state = block.text
        elif block.kind == "text" and state == "sources":
            leftover = _take_sources(block.lines, source_lines)
            if leftover:
                parts["disclosure"].append(leftover.strip())
                state = "disclosure"
        elif block.kind == "text":
            parts[state].append("\n".join(block.lines).strip())
    main = parts["main"]
    disclosure = "\n\n".join([*parts["disclosure"], *([disclosure] if disclosure else [])])
    return Article(
        headline=headline,
        dek=main[0] if main else "",
        body=tuple(main[1:]),
        why_it_matters="\n\n".join(parts["why"]),
        bottom_line="\n\n".join(parts["bottom"]),
        sources=_number_sources(source_lines),
        disclosure=disclosure,
    )


def _split_disclosure(blocks: list[_Block]) -> tuple[list[_Block], str]:
    """Cut the trailing disclosure off; other rules ("---") are layout and are dropped.

    The disclosure is what follows the last rule that no section follows, when that rule
    comes after a section (the house layout) or the text after it reads like a disclosure;
    failing that, a trailing run of blocks starting with one that reads like a disclosure.
    A rule between body paragraphs of a bare article thus never swallows the body.
    """
    last_section = max((i for i, b in enumerate(blocks) if b.kind == "section"), default=-1)
    breaks = [i for i, b in enumerate(blocks) if b.kind == "break" and i > last_section]
    cut, skip = len(blocks), 0
    if breaks and (last_section >= 0 or _reads_like_disclosure(blocks[breaks[-1] + 1 :])):
        cut, skip = breaks[-1], 1
    else:
        for i, block in enumerate(blocks):
            if (
                i > max(last_section, 1)
                and block.kind == "text"
                and _reads_like_disclosure([block])
            ):
                cut = i
                break
    tail = [b for b in blocks[cut + skip :] if b.kind == "text"]
    head = [b for b in blocks[:cut] if b.kind != "break"]
    return head, "\n\n".join("\n".join(b.lines).strip() for b in tail)


def _reads_like_disclosure(blocks: list[_Block]) -> bool:
    """The first text block starts like "This article was written..." or "Disclosure:"."""
    first = next((b for b in blocks if b.kind == "text"), None)
    return first is not None and bool(_DISCLOSURE_RE.match(first.lines[0].strip()))


def _take_sources(lines: list[str], into: list[str]) -> str:
    """Add a block's lines to the source lines; return the text that ends the list.

    Once items have been marked ("1.", "-", "[1]"), an unmarked block after them is not a
    source but the disclosure (or a note), so it is returned instead.
    """
    marked = any(_ITEM_RE.match(line) for line in into)
    if into and marked and not _ITEM_RE.match(lines[0]):
        return "\n".join(lines)
    for i, line in enumerate(lines):
        if _DISCLOSURE_RE.match(line.strip()):
            return "\n".join(lines[i:])
        if line.strip().endswith(":") and not _ITEM_RE.match(line):
            log.info("dropped label line in sources: %r", line)
            continue
        into.append(line)
    return ""


def _number_sources(lines: Iterable[str]) -> tuple[Source, ...]:
    """Parse source lines, checking their numbers: citations [n] rely on them."""
    numbers: list[int] = []
    sources: list[Source] = []
    for line in lines:
        item = _ITEM_RE.match(line)
        text = item["text"] if item else line
        if item and (item["bracket"] or item["number"]):
            numbers.append(int(item["bracket"] or item["number"]))
        sources.append(Source.parse(text))
    if numbers and numbers != list(range(1, len(numbers) + 1)) and len(set(numbers)) != 1:
        raise ArticleFormatError(
            f"sources are numbered {', '.join(map(str, numbers))}: number them 1 to "
            f"{len(numbers)} in order, as citations [n] refer to them"
        )
    return tuple(sources)


def _brief(text: str, limit: int = 60) -> str:
    """A short quote of some text for an error message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
