"""The lenient Markdown reader behind `Article.from_markdown`.

Its input is often Claude's output or an editor's paste, so it accepts what such text
looks like (the rules are listed in `Article.from_markdown`) and drops only talk about
the article, logging what it drops. It never rewrites article text: what it keeps is
kept as written, so the pre-publish checks see the defects an editor would see. It
returns the article's fields; `bot.article` builds the `Article`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidInput

log = logging.getLogger(__name__)


class ArticleFormatError(InvalidInput, ValueError):
    """Text that cannot be read as an article; the message says what is wrong and is safe
    to show to an editor (it is an `InvalidInput`, and a `ValueError` for plain callers)."""


class _NoHeadline(ArticleFormatError):
    """No line can be the headline."""


def read_markdown(text: str, *, headline_required: bool = True) -> dict[str, Any]:
    """The fields of the article in `text` (sources as their lines, numbers checked)."""
    lines = _prepare(text).split("\n")
    try:
        headline, rest = _take_headline(lines)
    except _NoHeadline:
        if headline_required:
            raise
        headline, rest = "", lines
    return _assemble(headline, _blocks(rest))


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


def _assemble(headline: str, blocks: list[_Block]) -> dict[str, Any]:
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
    return {
        "headline": headline,
        "dek": main[0] if main else "",
        "body": tuple(main[1:]),
        "why_it_matters": "\n\n".join(parts["why"]),
        "bottom_line": "\n\n".join(parts["bottom"]),
        "sources": _number_sources(source_lines),
        "disclosure": disclosure,
    }


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


def _number_sources(lines: Iterable[str]) -> tuple[str, ...]:
    """Parse source lines, checking their numbers: citations [n] rely on them."""
    numbers: list[int] = []
    sources: list[str] = []
    for line in lines:
        item = _ITEM_RE.match(line)
        text = item["text"] if item else line
        if item and (item["bracket"] or item["number"]):
            numbers.append(int(item["bracket"] or item["number"]))
        sources.append(text)
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
