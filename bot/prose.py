"""Sentences and words as a reader counts them.

Shared by the article model (its word count), the form checks (repetition, sentence
length) and the renderer's splitter, so all of them agree on what a sentence is.
"""

from __future__ import annotations

import re

_CITATION_RE = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
_WORD_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")


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


def count_words(text: str) -> int:
    """Words as a reader counts them: citation markers are not words, "U.S." is one."""
    return len(_WORD_RE.findall(_CITATION_RE.sub(" ", text)))

