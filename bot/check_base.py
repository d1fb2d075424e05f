"""What every pre-publish check shares: findings, the context, registration, text helpers.

The checks themselves live in `bot.form_checks` (the article's form: headline, dek,
repetition, sources, placeholders...) and `bot.grounding_checks` (its substance: quotes,
figures, names and citations against the sources' own text); `bot.checks` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.article import LENGTHS, Article
from bot.grounding import Grounding


class Severity(StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one article."""

    check: str  # stable name, e.g. "dek_complete"
    severity: Severity
    ok: bool
    message: str  # what to fix (quoting the text), or a short description when ok


@dataclass(frozen=True)
class CheckContext:
    """What the checks need to know beyond the article itself.

    `grounding` holds the sources' stored texts and the revision's API citations; without
    it (None) the grounding checks are not run at all (`newsroom check` without
    `--sources`), which is different from running them with no text to compare against.
    """

    ai_drafted: bool = True
    min_sources: int = 2
    length: str | None = None  # brief|standard|long, for the word-count check
    agency_name: str = "ClawNews"
    grounding: Grounding | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.length is not None and self.length not in LENGTHS:
            raise ValueError(f"length must be one of {', '.join(LENGTHS)}, not {self.length!r}")
        if self.min_sources < 0:
            raise ValueError("min_sources cannot be negative")


Outcome = tuple[bool, str] | tuple[bool, str, Severity]
"""(ok, message) as returned by a check function; a third element lowers (or raises) the
severity of this one finding, e.g. a required check that could not run is a warning."""
CheckFn = Callable[[Article, CheckContext], Outcome]


def always(ctx: CheckContext) -> bool:
    return True


@dataclass(frozen=True)
class Check:
    """A registered check: its stable name, severity and function, and when it applies."""

    name: str
    severity: Severity
    run: CheckFn
    applies: Callable[[CheckContext], bool] = always


def registrar(into: list[Check], applies: Callable[[CheckContext], bool] = always
              ) -> Callable[[str, Severity], Callable[[CheckFn], CheckFn]]:
    """A decorator factory adding checks to `into` in the order they are defined."""

    def check(name: str, severity: Severity) -> Callable[[CheckFn], CheckFn]:
        def register(fn: CheckFn) -> CheckFn:
            into.append(Check(name, severity, fn, applies))
            return fn

        return register

    return check


# --------------------------------------------------------------------------- text helpers

CITATION_RE = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")


def quote(text: str, limit: int = 60, *, tail: bool = False) -> str:
    """A brief quote for a message; `tail` quotes the end (where a cut-off shows)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return f'"{text}"'
    return f'"…{text[-limit:].lstrip()}"' if tail else f'"{text[:limit].rstrip()}…"'


def normal(text: str) -> str:
    """Text reduced for comparison: no markup, citations, case or outer punctuation."""
    text = CITATION_RE.sub(" ", text)
    text = re.sub(r"[#*_>`~]+", " ", text)
    text = re.sub(r"[“”]", '"', text.replace("’", "'"))
    return " ".join(text.split()).casefold().strip(" .,:;!?\"'")


def is_subheading(paragraph: str) -> bool:
    """A one-line heading inside the body: "## Reaction" or "**Reaction**"."""
    line = paragraph.strip()
    if "\n" in line:
        return False
    return line.startswith("#") or bool(re.fullmatch(r"(\*\*|__)[^*_].*\1", line))


def cited_numbers(text: str) -> set[int]:
    """Every source number cited in the text: [1], [1][2], [1, 2], [1-3]."""
    numbers: set[int] = set()
    for group in CITATION_RE.findall(text):
        for part in re.split(r"\s*,\s*", group):
            bounds = sorted(int(x) for x in re.split(r"\s*[–-]\s*", part))
            low, high = bounds[0], bounds[-1]
            # a range is expanded only when plausible; its ends are always checked
            numbers.update(range(low, high + 1) if high - low <= 50 else (low, high))
    return numbers


def distinct_sources(article: Article) -> int:
    """Sources a reader can find, counting the same URL or title once."""
    keys = {(s.url or s.title).strip().casefold() for s in article.sources if not s.is_blank()}
    return len(keys)


def prose(article: Article) -> Iterable[tuple[str, str]]:
    """Non-empty prose paragraphs with where they are."""
    return ((where, text) for where, text in article.paragraphs() if text.strip())


def join_problems(problems: Sequence[str], limit: int = 4) -> str:
    """One message from several problems, so a finding stays readable on a card."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")
