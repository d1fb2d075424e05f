"""Grounding: what the sources said, in a form the checks can compare an article with.

A `Grounding` holds, per source number of the article's Sources list, the source's stored
text (or None when the newsroom has none: a PDF, a page that could not be fetched, a
source of a human draft that was never supplied), the passages Claude said it cited for
this revision, and the publication year (a year that is the publication year needs no
source). Comparisons ignore case, whitespace, quote style and punctuation between words:
"Rules’ scope" matches "rules' scope", and a line break in a source is a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from bot.figures import Figure, figures, source_values, stated

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_QUOTE_RE = re.compile(r'"([^"\n]+)"')
_GAP_RE = re.compile(r"\s*(?:\.\.\.|…|\[[^\]]*\])\s*")
QUOTE_WORDS = 4
"""Shorter passages in quotation marks are titles and scare quotes, not quotations."""


def tokens(text: str) -> str:
    """Text as its words, lower case, one space apart and padded, for `in` tests."""
    words = _TOKEN_RE.findall(text.casefold().replace("’", "'"))
    return " " + " ".join(words) + " " if words else " "


@dataclass(frozen=True)
class CitedPassage:
    """A citation Claude returned: the paragraph it supports, the source number it names
    and the text it says it cited."""

    paragraph: str  # where in the article, e.g. "body paragraph 2"
    source: int
    cited_text: str


class SourceIndex:
    """One source's text, prepared once for every check."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = tokens(text)

    @cached_property
    def values(self) -> dict[str, list[float]]:
        return source_values(self.text)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The words as written (case kept), to tell "chipmakers" from "Chipmakers"."""
        return frozenset(_TOKEN_RE.findall(self.text))

    def says(self, words: str) -> bool:
        """Whether the source contains these words (as given by `tokens`), in order."""
        return words.strip() != "" and words in self.words

    def states(self, figure: Figure) -> bool:
        return stated(figure, self.values)


@lru_cache(maxsize=64)
def source_index(text: str) -> SourceIndex:
    """Indexes are kept for the last texts seen: the card, `/review checks` and an approval
    check the same sources again and again."""
    return SourceIndex(text)


@dataclass
class Grounding:
    """The material the grounding checks compare an article with."""

    texts: Mapping[int, str | None]
    """Every source number of the article -> its stored text, or None when there is none."""
    citations: tuple[CitedPassage, ...] | None = None
    """The revision's API citations; None for a revision Claude did not write."""
    year: int | None = None
    extra_names: tuple[str, ...] = ()
    """Text where names may also be found: the Sources list, the agency's name."""
    _indexes: dict[int, SourceIndex] = field(default_factory=dict, repr=False)

    def index(self, number: int) -> SourceIndex | None:
        """The prepared text of one source, or None when it has no stored text."""
        text = self.texts.get(number)
        if not text:
            return None
        if number not in self._indexes:
            self._indexes[number] = source_index(text)
        return self._indexes[number]

    @property
    def numbers(self) -> list[int]:
        return sorted(self.texts)

    @property
    def with_text(self) -> list[int]:
        return [n for n in self.numbers if self.texts.get(n)]

    def cited_passages(self, number: int) -> SourceIndex | None:
        """What Claude cited of a source without stored text (a PDF): partial, but text."""
        passages = [c.cited_text for c in self.citations or () if c.source == number]
        return SourceIndex("\n".join(passages)) if passages else None

    def where_said(self, numbers: Iterable[int], words: str) -> list[int]:
        """The sources among `numbers` whose text contains `words`."""
        return [n for n in numbers if (idx := self.index(n) or self.cited_passages(n))
                and idx.says(words)]

    def where_stated(self, numbers: Iterable[int], figure: Figure) -> list[int]:
        return [n for n in numbers if (idx := self.index(n) or self.cited_passages(n))
                and idx.states(figure)]

    def lower_case_somewhere(self, word: str) -> bool:
        """Whether a source uses this word in lower case (so it is not a name by itself)."""
        lowered = word.lower()
        return lowered == word or any(
            lowered in idx.vocabulary for n in self.with_text if (idx := self.index(n)))

    @cached_property
    def extra_words(self) -> str:
        return tokens("\n".join(self.extra_names))


# --------------------------------------------------------------------------- quotations


def quotations(text: str) -> list[str]:
    """Passages in quotation marks ("..." or “...”) of at least `QUOTE_WORDS` words."""
    straight = text.replace("“", '"').replace("”", '"')
    return [q.strip() for q in _QUOTE_RE.findall(straight)
            if len(_TOKEN_RE.findall(q)) >= QUOTE_WORDS]


def quote_parts(quotation: str) -> list[str]:
    """The word runs of a quotation to look for: an ellipsis or an editor's [insertion]
    separates runs that the source need not have side by side."""
    return [t for part in _GAP_RE.split(quotation) if (t := tokens(part)).strip()]


# --------------------------------------------------------------------------- figures


def article_figures(text: str, year: int | None) -> list[Figure]:
    """The figures of a paragraph that need a source: all but the publication year."""
    return [f for f in figures(text)
            if not (year is not None and f.kind == "n" and f.value == year and f.unit == 1.0
                    and f.text == str(year))]


# --------------------------------------------------------------------------- names

_CONNECTORS = frozenset("of for de del della der van von du la le al bin y".split())
_NOT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday".split()) | frozenset(
    m.capitalize().casefold() for m in ("january february march april may june july august "
                                        "september october november december").split())
_COMMON_FIRST = frozenset(
    "a an the this that these those it its in on at for from with by but and or so yet "
    "if when while after before as since until though although because however meanwhile "
    "still also then there here their his her our we they he she i you according under "
    "over last next every each some many most several both other officials analysts "
    "experts critics".split())
_WORD_RE = re.compile(r"\S+")
_EDGE = "\"'“”‘’()[]*_"


def names(text: str, common: Callable[[str], bool] = lambda word: False) -> list[str]:
    """Capitalised multi-word names: "Helen Park", "Bureau of Industry", "Nvidia Corp".

    A run of capitalised words (with "of", "de"... inside it) broken by punctuation; a
    sentence's first word is left out when it is a common word ("The", "After", or any
    word `common` says is used in lower case), since capitals there say nothing.
    """
    found = []
    for run, at_start in _capital_runs(text):
        if at_start and run and (run[0].casefold() in _COMMON_FIRST or common(run[0])):
            run = run[1:]
        while run and run[-1] in _CONNECTORS:
            run = run[:-1]
        if sum(1 for w in run if w not in _CONNECTORS) >= 2:
            found.append(" ".join(run))
    return found


def _capital_runs(text: str) -> Iterable[tuple[list[str], bool]]:
    """Runs of capitalised words, each with whether it opens a sentence (or a quote)."""
    run: list[str] = []
    start = sentence_start = True
    for match in _WORD_RE.finditer(re.sub(r"\[\d[^\]]*\]|[#*_>`]", " ", text)):
        raw = match.group(0)
        core = raw.lstrip(_EDGE)
        word = core.rstrip(_EDGE + ".,;:!?")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        closes = word != core  # punctuation, a possessive or a closing quote after it
        if core != raw and run:  # an opening quote or bracket starts afresh
            yield run, start
            run = []
        capital = bool(word) and word[0].isupper() and word.casefold() not in _NOT_NAMES \
            and bool(re.fullmatch(r"[\w&'’.-]+", word))
        appended = capital or bool(run and word in _CONNECTORS and not closes)
        if appended:
            if not run:
                start = sentence_start or core != raw
            run.append(word)
        if run and (closes or not appended):
            yield run, start
            run = []
        sentence_start = core.rstrip(_EDGE)[-1:] in {".", "!", "?", ":"}
    if run:
        yield run, start
