"""Pre-publish checks (spec section 3): what must be true before a story may be approved.

Each check is a small function registered with `@_check(name, severity)`; `run_checks`
runs them all, in registration order, and returns one `Finding` per check whether it
passed or not, so a review card and `newsroom check` can show the full list. Names are
stable: they are stored with overrides and listed in tests/articles/expected.json.

Required checks block approval (an editor may override with a reason); recommended ones
are warnings. Every message says what to fix and quotes the offending text briefly.

Rules chosen where the spec leaves room:
- "factual paragraph" (citations): every body paragraph except a subheading (a single
  line that is a Markdown heading or wholly bold). Transitions are short enough to fold
  into a cited paragraph, and any narrower rule lets uncited claims through.
- "sentence run" (no_repetition): a sentence of at least 8 words, or any stretch of 12
  words, that occurs twice (after case, markup and citations are set aside); also any
  paragraph twice, the headline again as (the first line or first sentence of) a
  paragraph, and the dek again inside the body.
- "complete sentence" (dek_complete): after citation markers, closing quotes, brackets
  and emphasis are set aside, the dek ends in ".", "!" or "?", not in an ellipsis, and
  not in a word that cannot end a sentence ("the", "and"...).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from bot.article import (
    BOTTOM_LINE,
    LENGTHS,
    WHY_IT_MATTERS,
    Article,
    ArticleFormatError,
    count_words,
    disclosure_text,
    split_sentences,
)
from bot.render import message_within_limits, render_article

log = logging.getLogger(__name__)

HEADLINE_MAX = 100
DEK_MAX = 300
SENTENCE_WORDS = 8
"""A sentence this long said twice is a repeat; shorter ones ("It did not.") may be style."""
RUN_WORDS = 12
"""A stretch of this many words said twice is a repeat, whatever the sentence boundaries."""
MAX_MESSAGES = 5
"""Most messages one article may take. Each message is a separate post in every channel and
a separate crosspost, and Discord allows about 10 crossposts per channel per hour (spec
section 5): an article of more than 5 messages would eat over half that budget."""


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
    """What the checks need to know beyond the article itself."""

    ai_drafted: bool = True
    min_sources: int = 2
    length: str | None = None  # brief|standard|long, for the word-count check
    agency_name: str = "ClawNews"

    def __post_init__(self) -> None:
        if self.length is not None and self.length not in LENGTHS:
            raise ValueError(f"length must be one of {', '.join(LENGTHS)}, not {self.length!r}")
        if self.min_sources < 0:
            raise ValueError("min_sources cannot be negative")


Outcome = tuple[bool, str]
"""(ok, message) as returned by a check function."""
CheckFn = Callable[[Article, CheckContext], Outcome]


@dataclass(frozen=True)
class Check:
    """A registered check: its stable name, severity and function."""

    name: str
    severity: Severity
    run: CheckFn


CHECKS: list[Check] = []
"""Every check in the order `run_checks` runs them (the order of definition below)."""


def _check(name: str, severity: Severity) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under a stable name."""

    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(name, severity, fn))
        return fn

    return register


# --------------------------------------------------------------------------- text helpers

_CITATION_RE = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")
_TRAILING_RE = re.compile(r"(?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\]|[\s\"'”’)\]*_])+$")
_DANGLING = frozenset("the a an and or but its their whose".split())


def _quote(text: str, limit: int = 60, *, tail: bool = False) -> str:
    """A brief quote for a message; `tail` quotes the end (where a cut-off shows)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return f'"{text}"'
    return f'"…{text[-limit:].lstrip()}"' if tail else f'"{text[:limit].rstrip()}…"'


def _normal(text: str) -> str:
    """Text reduced for comparison: no markup, citations, case or outer punctuation."""
    text = _CITATION_RE.sub(" ", text)
    text = re.sub(r"[#*_>`~]+", " ", text)
    text = re.sub(r"[“”]", '"', text.replace("’", "'"))
    return " ".join(text.split()).casefold().strip(" .,:;!?\"'")


def _is_subheading(paragraph: str) -> bool:
    """A one-line heading inside the body: "## Reaction" or "**Reaction**"."""
    line = paragraph.strip()
    if "\n" in line:
        return False
    return line.startswith("#") or bool(re.fullmatch(r"(\*\*|__)[^*_].*\1", line))


def _cited_numbers(text: str) -> set[int]:
    """Every source number cited in the text: [1], [1][2], [1, 2], [1-3]."""
    numbers: set[int] = set()
    for group in _CITATION_RE.findall(text):
        for part in re.split(r"\s*,\s*", group):
            bounds = sorted(int(x) for x in re.split(r"\s*[–-]\s*", part))
            low, high = bounds[0], bounds[-1]
            # a range is expanded only when plausible; its ends are always checked
            numbers.update(range(low, high + 1) if high - low <= 50 else (low, high))
    return numbers


def _distinct_sources(article: Article) -> int:
    """Sources a reader can find, counting the same URL or title once."""
    keys = {(s.url or s.title).strip().casefold() for s in article.sources if not s.is_blank()}
    return len(keys)


def _prose(article: Article) -> Iterable[tuple[str, str]]:
    """Non-empty prose paragraphs with where they are."""
    return ((where, text) for where, text in article.paragraphs() if text.strip())


def _join_problems(problems: Sequence[str], limit: int = 4) -> str:
    """One message from several problems, so a finding stays readable on a card."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


# --------------------------------------------------------------------------- required


@_check("headline", Severity.REQUIRED)
def check_headline(article: Article, ctx: CheckContext) -> Outcome:
    """Headline present, one line, at most 100 characters."""
    headline = article.headline.strip()
    if not headline:
        return False, "no headline: start the article with '# Headline'"
    problems = []
    if "\n" in headline:
        problems.append("headline runs over several lines: make it one line")
    if len(headline) > HEADLINE_MAX:
        problems.append(
            f"headline has {len(headline)} characters (limit {HEADLINE_MAX}): "
            f"shorten {_quote(headline)}"
        )
    message = _join_problems(problems) or f"headline present, {len(headline)} characters"
    return not problems, message


@_check("dek_complete", Severity.REQUIRED)
def check_dek(article: Article, ctx: CheckContext) -> Outcome:
    """Dek present, at most 300 characters, ending in a complete sentence.

    This is the check for the real defect of a summary cut off mid-word
    ("...highlights the fragil").
    """
    dek = article.dek.strip()
    if not dek:
        return False, "no dek: add a 1-3 sentence summary under the headline"
    problems = []
    if len(dek) > DEK_MAX:
        problems.append(f"dek has {len(dek)} characters (limit {DEK_MAX}): shorten it")
    ending = _incomplete_ending(dek)
    if ending:
        problems.append(f"dek {ending}: {_quote(dek, 40, tail=True)}; finish the sentence")
    message = _join_problems(problems) or f"dek complete, {len(dek)} characters"
    return not problems, message


def _incomplete_ending(text: str) -> str | None:
    """Why the text does not end as a complete sentence, or None when it does."""
    core = _TRAILING_RE.sub("", text)
    if core.endswith(("...", "…")):
        return "ends with an ellipsis"
    if not core.endswith((".", "!", "?")):
        return "ends mid-sentence"
    last_word = re.findall(r"[^\W_]+", core)[-1:] or [""]
    if last_word[0].casefold() in _DANGLING:
        return f"ends on {last_word[0]!r}, which cannot end a sentence"
    return None


@_check("no_repetition", Severity.REQUIRED)
def check_repetition(article: Article, ctx: CheckContext) -> Outcome:
    """No paragraph, sentence run or headline printed twice.

    This is the check for the real defect of the headline and lead paragraph printed
    twice (the body starting again with the headline and the dek).
    """
    found = _repeated_headline(article) + _repeated_paragraphs(article)
    found += _repeated_sentences(article, skip={where for where, _ in found})
    if found:
        return False, _join_problems([f"{where} {problem}" for where, problem in found])
    return True, "no repeated headline, paragraph or sentence"


Repeat = tuple[str, str]
"""(where, what is repeated) for one paragraph."""


def _repeated_headline(article: Article) -> list[Repeat]:
    """The headline again as a paragraph, a paragraph's first line or first sentence."""
    headline = _normal(article.headline)
    if not headline:
        return []
    found = []
    for where, text in _prose(article):
        first_line = text.strip().split("\n")[0]
        first_sentence = (split_sentences(first_line) or [""])[0]
        if headline in (_normal(first_line), _normal(first_sentence)):
            found.append((where, f"repeats the headline {_quote(article.headline)}: delete it"))
    return found


def _repeated_paragraphs(article: Article) -> list[Repeat]:
    """A paragraph given twice, or the dek repeated inside a body paragraph."""
    seen: dict[str, str] = {}
    found = []
    dek = _normal(article.dek)
    for where, text in _prose(article):
        key = _normal(text)
        if key in seen:
            first = "the dek" if seen[key] == "dek" else seen[key]
            found.append((where, f"repeats {first} {_quote(text)}: delete one"))
        elif where != "dek" and len(dek) >= 20 and dek in key:
            found.append((where, f"repeats the dek {_quote(article.dek)}: delete it"))
        seen.setdefault(key, where)
    return found


def _repeated_sentences(article: Article, skip: set[str]) -> list[Repeat]:
    """Runs printed twice; one finding per paragraph, none for paragraphs already reported
    as repeated as a whole."""
    seen: dict[str, str] = {}
    found = []
    for where, text in _prose(article):
        for unit, repeated_inside in _runs(text):
            first = seen.setdefault(unit, where)
            if where in skip or (first == where and not repeated_inside):
                continue
            of = f" of {first}" if first != where else ""
            found.append((where, f"repeats a passage{of}: {_quote(unit)}"))
            skip.add(where)
    return found


_TOKEN_RE = re.compile(r"[^\W_]+(?:['.\-][^\W_]+)*")


def _runs(text: str) -> list[tuple[str, bool]]:
    """The runs worth comparing, normalised, each with whether it occurs twice within this
    paragraph: sentences of 8+ words, and every stretch of `RUN_WORDS` words, so that a
    repeat is caught even when its sentence was cut or merged into another."""
    sentences = [_normal(s) for s in split_sentences(text) if count_words(s) >= SENTENCE_WORDS]
    words = _TOKEN_RE.findall(_normal(text))
    stretches = [" ".join(words[i : i + RUN_WORDS]) for i in range(len(words) - RUN_WORDS + 1)]
    counts = [Counter(sentences), Counter(stretches)]
    return [(unit, n > 1) for counter in counts for unit, n in counter.items()]


@_check("disclosure", Severity.REQUIRED)
def check_disclosure(article: Article, ctx: CheckContext) -> Outcome:
    """Disclosure present; for an AI draft it must say that AI wrote it."""
    text = article.disclosure.strip()
    if not text:
        suggestion = _quote(disclosure_text(ctx.agency_name), 80)
        return False, f"no disclosure: end the article with '---' and {suggestion}"
    if ctx.ai_drafted and not re.search(r"\bAI\b|artificial intelligence", text, re.IGNORECASE):
        return False, f"disclosure {_quote(text)} does not say an AI wrote the article"
    return True, "disclosure present"


@_check("min_sources", Severity.REQUIRED)
def check_min_sources(article: Article, ctx: CheckContext) -> Outcome:
    """At least `ctx.min_sources` distinct sources when the story is AI-drafted."""
    count = _distinct_sources(article)
    blank = sum(1 for s in article.sources if s.is_blank())
    note = f" ({blank} without title or URL)" if blank else ""
    if not ctx.ai_drafted:
        return True, f"{count} source(s){note}; no minimum for a human-written story"
    if count < ctx.min_sources:
        return False, (
            f"{count} distinct source(s){note}; an AI-drafted story needs at least "
            f"{ctx.min_sources}: add them under '## Sources'"
        )
    return True, f"{count} distinct sources"


@_check("citations", Severity.REQUIRED)
def check_citations(article: Article, ctx: CheckContext) -> Outcome:
    """Every body paragraph (subheadings aside) cites a source; every [n] exists."""
    problems = [
        f"body paragraph {i} cites no source: {_quote(text)}; add [n]"
        for i, text in enumerate(article.body, 1)
        if text.strip() and not _is_subheading(text) and not _CITATION_RE.search(text)
    ]
    count = len(article.sources)
    for where, text in _prose(article):
        missing = sorted({n for n in _cited_numbers(text) if not 1 <= n <= count})
        if missing:
            cited = ", ".join(f"[{n}]" for n in missing)
            problems.append(f"{where} cites {cited} but there are only {count} source(s)")
    if problems:
        return False, _join_problems(problems)
    return True, f"all {len(article.body)} body paragraphs cite existing sources"


_PLACEHOLDERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b(?:TK)+\b"),  # journalists' "to come"
    re.compile(r"\b(?:TODO|FIXME)\b"),
    re.compile(r"\[\s*citation needed\s*\]", re.IGNORECASE),
    re.compile(r"\{\{?[^{}\n]{0,60}\}?\}"),  # template slots: {company_name}, {{date}}
    re.compile(r"\blorem ipsum\b", re.IGNORECASE),
    re.compile(r"\bX{3,}\b"),
    re.compile(
        r"\[\s*(?:sources?|link|url|name|date|quote|title|publisher|citation|figure|number"
        r"|insert\b[^\]]*|add\b[^\]]*|placeholder[^\]]*|tk|todo|tbd)\s*\]",
        re.IGNORECASE,
    ),
    re.compile(r"<\s*(?:insert|placeholder|add)\b[^>]*>", re.IGNORECASE),
    re.compile(r"\bINSERT\b"),
)


@_check("no_placeholders", Severity.REQUIRED)
def check_placeholders(article: Article, ctx: CheckContext) -> Outcome:
    """No unresolved placeholders anywhere: TK, TODO, [citation needed], {x}, XXX..."""
    problems = [
        f"placeholder {_quote(match.group(0), 40)} in {where}"
        for where, text in article.all_text()
        for pattern in _PLACEHOLDERS
        for match in pattern.finditer(text)
    ]
    if problems:
        return False, _join_problems(problems) + ": replace with the real text"
    return True, "no placeholders"


_MENTION_RE = re.compile(r"@(?:everyone|here)\b|<@[!&]?\d+>", re.IGNORECASE)


@_check("no_mentions", Severity.REQUIRED)
def check_mentions(article: Article, ctx: CheckContext) -> Outcome:
    """No @everyone, @here or user/role mention anywhere, even where it would not ping."""
    problems = [
        f"{match.group(0)!r} in {where}"
        for where, text in article.all_text()
        for match in _MENTION_RE.finditer(text)
    ]
    if problems:
        return False, "mention " + _join_problems(problems) + ": remove it, a post must not ping"
    return True, "no mentions"


@_check("discord_limits", Severity.REQUIRED)
def check_discord_limits(article: Article, ctx: CheckContext) -> Outcome:
    """The article renders, every message keeps every Discord limit, and it takes at most
    `MAX_MESSAGES` messages."""
    try:
        messages = render_article(article, story_id=0, agency_name=ctx.agency_name)
    except Exception as exc:  # a renderer bug must show as a failed check, not a crash
        log.exception("rendering failed in the pre-publish check")
        return False, f"the article cannot be rendered for Discord: {exc}"
    problems = [
        f"message {i}: {problem}"
        for i, msg in enumerate(messages, 1)
        for problem in message_within_limits(msg)
    ]
    if len(messages) > MAX_MESSAGES:
        chars = sum(len(line) for _, line in article.all_text())
        problems.append(
            f"the article needs {len(messages)} messages ({chars} characters); "
            f"at most {MAX_MESSAGES} fit the crosspost budget: cut it or split the story"
        )
    if problems:
        return False, _join_problems(problems)
    embeds = sum(len(m.embeds) for m in messages)
    return True, f"renders as {len(messages)} message(s), {embeds} embed(s), within Discord limits"


_VERIFICATION_RES = (
    re.compile(
        r"\ball\s+(?:the\s+)?(?:facts|claims|figures|information|details)\b[^.!?\n]{0,60}?"
        r"\b(?:verified|checked|fact-checked|confirmed)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:verified|checked|fact-checked|cross-checked|cross-referenced|corroborated"
        r"|confirmed|validated)\b[^.!?\n]{0,60}?\b(?:multiple|several|numerous|various"
        r"|independent|two or more|at least two|many)\b[^.!?\n]{0,20}?\bsources\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:multiple|several|numerous|independent|two or more)\s+(?:independent\s+)?"
        r"sources\b[^.!?\n]{0,40}?\b(?:verif|confirm|corroborat)\w*",
        re.IGNORECASE,
    ),
)


@_check("verification_claim", Severity.REQUIRED)
def check_verification_claim(article: Article, ctx: CheckContext) -> Outcome:
    """A claim of verification against several sources needs at least two listed sources.

    The real article claimed "all facts were ... verified against multiple sources" with
    no source a reader could see.
    """
    count = _distinct_sources(article)
    for where, text in article.all_text():
        for pattern in _VERIFICATION_RES:
            match = pattern.search(text)
            if match and count < 2:
                return False, (
                    f"{where} claims {_quote(match.group(0))} but lists {count} source(s): "
                    "list the sources or remove the claim"
                )
    return True, "no unbacked verification claim"


# --------------------------------------------------------------------------- recommended


@_check("word_count", Severity.RECOMMENDED)
def check_word_count(article: Article, ctx: CheckContext) -> Outcome:
    """Words in body and sections within the range of the chosen length."""
    words = article.word_count()
    if ctx.length is None:
        return True, f"{words} words (no length chosen)"
    low, high = LENGTHS[ctx.length]
    if low <= words <= high:
        return True, f"{words} words, within {low}-{high} for {ctx.length}"
    verb = "cut" if words > high else "add"
    return False, f"{words} words, outside {low}-{high} for {ctx.length}: {verb} some"


@_check("sections", Severity.RECOMMENDED)
def check_sections(article: Article, ctx: CheckContext) -> Outcome:
    """Both closing sections present."""
    missing = [
        name
        for name, text in (
            (WHY_IT_MATTERS, article.why_it_matters),
            (BOTTOM_LINE, article.bottom_line),
        )
        if not text.strip()
    ]
    if missing:
        return False, "missing " + " and ".join(f"'## {m}'" for m in missing)
    return True, f"'{WHY_IT_MATTERS}' and '{BOTTOM_LINE}' present"


# --------------------------------------------------------------------------- running

_DEFAULT_CONTEXT = CheckContext()


def run_checks(article: Article, ctx: CheckContext = _DEFAULT_CONTEXT) -> list[Finding]:
    """Every check, passed or not, in the stable order of `CHECKS`."""
    return [_run_one(check, article, ctx) for check in CHECKS]


def _run_one(check: Check, article: Article, ctx: CheckContext) -> Finding:
    """Run one check; a check that crashes fails (with the error) rather than hiding."""
    try:
        ok, message = check.run(article, ctx)
    except Exception as exc:
        log.exception("check %s crashed", check.name)
        ok, message = False, f"the check could not run: {exc}"
    return Finding(check=check.name, severity=check.severity, ok=ok, message=message)


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The failed required findings: what stops an approval."""
    return [f for f in findings if not f.ok and f.severity is Severity.REQUIRED]


def summary_line(findings: Sequence[Finding]) -> str:
    """A one-line summary for a card, e.g. "9/10 required checks pass, 1 warning"."""
    required = [f for f in findings if f.severity is Severity.REQUIRED]
    passed = sum(f.ok for f in required)
    warnings = sum(not f.ok for f in findings if f.severity is Severity.RECOMMENDED)
    tail = "no warnings" if not warnings else f"{warnings} warning" + ("s" if warnings > 1 else "")
    return f"{passed}/{len(required)} required checks pass, {tail}"


# --------------------------------------------------------------------------- command line


def check_files(
    paths: list[str],
    *,
    out: TextIO,
    err: TextIO,
    ctx_for_path: Callable[[str], CheckContext] | None = None,
) -> int:
    """`newsroom check FILE...`: print every finding per file; return the exit code.

    2 when any file cannot be read or parsed (said on `err`; the other files are still
    checked), else 1 when any required check fails in any file, else 0.
    """
    code = 0
    for path in paths:
        article = _load(path, err)
        if article is None:
            code = 2
            continue
        ctx = ctx_for_path(path) if ctx_for_path else _DEFAULT_CONTEXT
        findings = run_checks(article, ctx)
        _print_findings(path, findings, out)
        if blocking(findings) and code == 0:
            code = 1
    return code


def _load(path: str, err: TextIO) -> Article | None:
    """Read and parse one file, or explain on `err` why not."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot read: {exc}", file=err)
        return None
    try:
        return Article.from_markdown(text)
    except ArticleFormatError as exc:
        print(f"{path}: cannot parse: {exc}", file=err)
        return None


def _print_findings(path: str, findings: Sequence[Finding], out: TextIO) -> None:
    """One line per finding, failures marked FAIL (required) or WARN (recommended)."""
    print(f"{path}: {summary_line(findings)}", file=out)
    width = max(len(f.check) for f in findings)
    for f in findings:
        status = "ok" if f.ok else ("FAIL" if f.severity is Severity.REQUIRED else "WARN")
        print(f"  {status:<4}  {f.severity:<11}  {f.check:<{width}}  {f.message}", file=out)
