"""Figures in text, read into comparable values: 1,200 = 1200 = 1.2 thousand = 1.2k;
40 million = 40,000,000 = $40m; 12% = 12 percent = 12 per cent; "17 November" =
"Nov. 17" = 2026-11-17 (month and day; the year is a figure of its own).

The same reader runs over the article and over the sources, so whatever a source writes
in a way it does not understand, the article's copy of it is not understood either and
nothing is claimed. Numbers that are part of a name or code (GPT-4, H100, COVID-19, 5G),
ordinals (3rd), times (10:30) and citation markers [1] are not figures.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

MONTHS = {name: i for i, names in enumerate((
    "january jan", "february feb", "march mar", "april apr", "may", "june jun",
    "july jul", "august aug", "september sep sept", "october oct", "november nov",
    "december dec"), start=1) for name in names.split()}
_MONTH = r"(?P<{g}>(?:" + "|".join(sorted((m.capitalize() for m in MONTHS), key=len,
                                          reverse=True)) + r")\b\.?)"
_DATE_RES = (
    re.compile(_MONTH.format(g="m") + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b"
               r"(?:,?\s+(?P<y>\d{4})\b)?"),
    re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.format(g="m")
               + r"(?:,?\s+(?P<y>\d{4})\b)?"),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
)
_SLASH_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_SKIP_RES = (
    re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]"),  # citation markers
    re.compile(r"https?://\S+|www\.\S+"),
    re.compile(r"\b\d{1,2}:\d{2}\b"),  # times of day
)
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9,
           "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12, "t": 1e12}
_NUMBER_RE = re.compile(
    r"(?<![\w.,])(?<![A-Za-z]-)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<pct>\s*(?:%|per\s?cent\b|percentage points?\b|pc\b))"
    r"|\s*(?P<word>(?i:thousand|million|billion|trillion))s?\b"
    r"|(?P<abbr>bn|mn|trn|tn|[kKmMbBT])\b)?"
    r"(?![\w%]|[.,]\d)"
)
_HEDGE_RE = re.compile(
    r"(?:about|around|roughly|nearly|almost|approximately|some|over|under|more than|"
    r"less than|fewer than|up to|close to|just over|just under|at least|upwards of|"
    r"an estimated|~)\s*[$€£¥]?\s*$", re.IGNORECASE)
_PERCENT, _NUMBER, _DATE = "%", "n", "d"


@dataclass(frozen=True)
class Figure:
    """One figure as written, and its value. `unit` is the precision it was written to
    (1.2 million: 100,000); `hedged` when "about", "nearly"... comes before it."""

    text: str
    kind: str  # "%" percentage, "n" number or amount, "d" date (value = month * 100 + day)
    value: float
    unit: float = 1.0
    hedged: bool = False
    scaled: bool = False


def figures(text: str) -> list[Figure]:
    """Every figure in the text, dates first, in no particular order."""
    text = _blank(text, *_SKIP_RES)
    found: list[Figure] = []
    for pattern in _DATE_RES:
        for match in pattern.finditer(text):
            found.extend(_date_figures(match))
        text = _blank(text, pattern)
    for match in _NUMBER_RE.finditer(text):
        found.append(_number_figure(match, text))
    return found


def source_values(text: str) -> dict[str, list[float]]:
    """The values a source states, by kind, sorted; lenient where the article is strict
    (a percentage is also a plain number; 11/17/2026 is read both ways)."""
    values: dict[str, set[float]] = {_PERCENT: set(), _NUMBER: set(), _DATE: set()}
    for figure in figures(text):
        values[figure.kind].add(figure.value)
        if figure.kind == _PERCENT:
            values[_NUMBER].add(figure.value)
    for a, b, year in _SLASH_DATE_RE.findall(text):
        values[_DATE].update({int(a) * 100 + int(b), int(b) * 100 + int(a)})
        values[_NUMBER].add(float(year))
    return {kind: sorted(v) for kind, v in values.items()}


def stated(figure: Figure, values: dict[str, list[float]]) -> bool:
    """Whether a source with these values states the figure (exactly, or to the precision
    it was written to when it is hedged or scaled: "about 1.2 million" for 1,213,000)."""
    pool = values.get(figure.kind, [])
    slack = figure.unit / 2 if figure.hedged or figure.scaled else 0.0
    slack = max(slack, abs(figure.value) * 1e-9)
    low, high = figure.value - slack, figure.value + slack
    return any(low <= v <= high for v in _between(pool, low, high))


def _between(pool: list[float], low: float, high: float) -> list[float]:
    """The values of a sorted list within [low, high] (bisect, so long sources stay fast)."""
    return pool[bisect_left(pool, low):bisect_right(pool, high)]


def _blank(text: str, *patterns: re.Pattern[str]) -> str:
    """Replace matches by spaces, keeping offsets (hedges are read from what precedes)."""
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _date_figures(match: re.Match[str]) -> list[Figure]:
    month_text = match.group("m").rstrip(".").lower()
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text, 0)
    day = int(match.group("d"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return []
    out = [Figure(match.group(0), _DATE, month * 100 + day)]
    if match.group("y"):
        out.append(Figure(match.group("y"), _NUMBER, float(match.group("y")), 1.0))
    return out


def _number_figure(match: re.Match[str], text: str) -> Figure:
    digits = match.group("num").replace(",", "")
    scale_word = (match.group("word") or match.group("abbr") or "").lower()
    scale = _SCALES.get(scale_word, 1.0)
    kind = _PERCENT if match.group("pct") else _NUMBER
    hedged = bool(_HEDGE_RE.search(text[max(0, match.start() - 24):match.start()]))
    value, unit = float(digits), _precision(digits, round_zeros=hedged)
    return Figure(match.group(0).strip(), kind, value * scale, unit * scale, hedged,
                  scaled=scale != 1.0)


def _precision(digits: str, *, round_zeros: bool) -> float:
    """The unit of the last written digit: 1.25 -> 0.01; 7 -> 1; 4,800 -> 1, or 100 when
    `round_zeros` (after "about", trailing zeros are rounding, not digits)."""
    if "." in digits:
        return 10.0 ** -len(digits.split(".")[1])
    if not round_zeros:
        return 1.0
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped) if stripped else 0
    return math.pow(10, zeros)
