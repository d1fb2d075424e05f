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
_MONTH = (r"[JFMASOND](?:anuary|ebruary|arch|pril|ay|une|uly|ugust|eptember|ctober|ovember"
          r"|ecember|an|eb|ar|pr|un|ul|ug|ept|ep|ct|ov|ec)\b\.?")
"""A month name or abbreviation; written to start with a character set, which lets the
regex engine skip ahead fast (the word is then checked against `MONTHS`)."""
_DAY, _YEAR = r"(?:st|nd|rd|th)?\b", r"(?:,?\s+(\d{4})\b)?"
_SCAN_RE = re.compile(
    r"\[\d+(?:\s*[,–-]\s*\d+)*\]|https?://\S+|www\.\S+|\d{1,2}:\d{2}\b"  # never figures
    rf"|({_MONTH})\s+(\d{{1,2}}){_DAY}{_YEAR}"  # November 17, 2026
    rf"|(\d{{1,2}}){_DAY}\s+(?:of\s+)?({_MONTH}){_YEAR}"  # 17 November 2026
    r"|(\d{4})-(\d{2})-(\d{2})\b"  # 2026-11-17
)
"""One pass over a text for what is blanked before numbers are read: citation markers,
URLs and times (never figures), and dates (figures of their own). Groups: month, day,
year (1-3); day, month, year (4-6); year, month, day (7-9)."""
_SLASH_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
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
    text, found = _without_dates(text)
    for match in _NUMBER_RE.finditer(text):
        found.append(_number_figure(match, text))
    return found


def source_values(text: str) -> dict[str, list[float]]:
    """The values a source states, by kind, sorted; lenient where the article is strict
    (a percentage is also a plain number; 11/17/2026 is read both ways)."""
    values: dict[str, set[float]] = {_PERCENT: set(), _NUMBER: set(), _DATE: set()}
    text, dated = _without_dates(text)
    for figure in dated:
        values[figure.kind].add(figure.value)
    for match in _NUMBER_RE.finditer(text):  # no hedges or precision: only values
        scale = _SCALES.get((match.group("word") or match.group("abbr") or "").lower(), 1.0)
        value = float(match.group("num").replace(",", "")) * scale
        values[_NUMBER].add(value)
        if match.group("pct"):
            values[_PERCENT].add(value)
    for a, b, year in _SLASH_DATE_RE.findall(text) if "/" in text else ():
        values[_DATE].update({int(a) * 100 + int(b), int(b) * 100 + int(a)})
        values[_NUMBER].add(float(year))
    return {kind: sorted(v) for kind, v in values.items()}


def _without_dates(text: str) -> tuple[str, list[Figure]]:
    """The text with dates (and what is never a figure) blanked out, and the dates."""
    pieces: list[str] = []
    found: list[Figure] = []
    last = 0
    for match in _SCAN_RE.finditer(text):
        groups = match.groups()
        if text[max(0, match.start() - 1):match.start()].isalnum():
            continue  # inside a word or number: H12:30, x2026-11-17
        for month, day, year in ((0, 1, 2), (4, 3, 5), (7, 8, 6)):
            if groups[day] is not None:
                found.extend(_date_figures(match.group(0), groups[month], groups[day],
                                           groups[year]))
        pieces += [text[last:match.start()], " " * (match.end() - match.start())]
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces), found


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


def _date_figures(text: str, month_text: str, day_text: str, year: str | None
                  ) -> list[Figure]:
    month_text = month_text.rstrip(".").lower()
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text, 0)
    day = int(day_text)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return []
    out = [Figure(text, _DATE, month * 100 + day)]
    if year:
        out.append(Figure(year, _NUMBER, float(year), 1.0))
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
