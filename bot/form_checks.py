"""The checks of an article's form (spec section 3): headline, dek, repetition, disclosure,
sources and citations, placeholders, mentions, Discord limits, verification claims, word
count and closing sections.

Each check is registered with `@_check(name, severity)` into `FORM_CHECKS`, in definition
order; names are stable (stored with overrides, listed in tests/articles/expected.json).

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

from bot.article import BOTTOM_LINE, LENGTHS, WHY_IT_MATTERS, Article, disclosure_text
from bot.check_base import (
    CITATION_RE,
    Check,
    CheckContext,
    Outcome,
    Severity,
    cited_numbers,
    distinct_sources,
    is_subheading,
    join_problems,
    normal,
    prose,
    quote,
    registrar,
)
from bot.prose import count_words, split_sentences
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

FORM_CHECKS: list[Check] = []
"""The form checks in the order they run (the order of definition below)."""
_check = registrar(FORM_CHECKS)

_TRAILING_RE = re.compile(r"(?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\]|[\s\"'”’)\]*_])+$")
_DANGLING = frozenset("the a an and or but its their whose".split())


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
            f"shorten {quote(headline)}"
        )
    message = join_problems(problems) or f"headline present, {len(headline)} characters"
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
        problems.append(f"dek {ending}: {quote(dek, 40, tail=True)}; finish the sentence")
    message = join_problems(problems) or f"dek complete, {len(dek)} characters"
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
        return False, join_problems([f"{where} {problem}" for where, problem in found])
    return True, "no repeated headline, paragraph or sentence"


Repeat = tuple[str, str]
"""(where, what is repeated) for one paragraph."""


def _repeated_headline(article: Article) -> list[Repeat]:
    """The headline again as a paragraph, a paragraph's first line or first sentence."""
    headline = normal(article.headline)
    if not headline:
        return []
    found = []
    for where, text in prose(article):
        first_line = text.strip().split("\n")[0]
        first_sentence = (split_sentences(first_line) or [""])[0]
        if headline in (normal(first_line), normal(first_sentence)):
            found.append((where, f"repeats the headline {quote(article.headline)}: delete it"))
    return found


def _repeated_paragraphs(article: Article) -> list[Repeat]:
    """A paragraph given twice, or the dek repeated inside a body paragraph."""
    seen: dict[str, str] = {}
    found = []
    dek = normal(article.dek)
    for where, text in prose(article):
        key = normal(text)
        if key in seen:
            first = "the dek" if seen[key] == "dek" else seen[key]
            found.append((where, f"repeats {first} {quote(text)}: delete one"))
        elif where != "dek" and len(dek) >= 20 and dek in key:
            found.append((where, f"repeats the dek {quote(article.dek)}: delete it"))
        seen.setdefault(key, where)
    return found


def _repeated_sentences(article: Article, skip: set[str]) -> list[Repeat]:
    """Runs printed twice; one finding per paragraph, none for paragraphs already reported
    as repeated as a whole."""
    seen: dict[str, str] = {}
    found = []
    for where, text in prose(article):
        for unit, repeated_inside in _runs(text):
            first = seen.setdefault(unit, where)
            if where in skip or (first == where and not repeated_inside):
                continue
            of = f" of {first}" if first != where else ""
            found.append((where, f"repeats a passage{of}: {quote(unit)}"))
            skip.add(where)
    return found


_TOKEN_RE = re.compile(r"[^\W_]+(?:['.\-][^\W_]+)*")


def _runs(text: str) -> list[tuple[str, bool]]:
    """The runs worth comparing, normalised, each with whether it occurs twice within this
    paragraph: sentences of 8+ words, and every stretch of `RUN_WORDS` words, so that a
    repeat is caught even when its sentence was cut or merged into another."""
    sentences = [normal(s) for s in split_sentences(text) if count_words(s) >= SENTENCE_WORDS]
    words = _TOKEN_RE.findall(normal(text))
    stretches = [" ".join(words[i : i + RUN_WORDS]) for i in range(len(words) - RUN_WORDS + 1)]
    counts = [Counter(sentences), Counter(stretches)]
    return [(unit, n > 1) for counter in counts for unit, n in counter.items()]


@_check("disclosure", Severity.REQUIRED)
def check_disclosure(article: Article, ctx: CheckContext) -> Outcome:
    """Disclosure present; for an AI draft it must say that AI wrote it."""
    text = article.disclosure.strip()
    if not text:
        suggestion = quote(disclosure_text(ctx.agency_name), 80)
        return False, f"no disclosure: end the article with '---' and {suggestion}"
    if ctx.ai_drafted and not re.search(r"\bAI\b|artificial intelligence", text, re.IGNORECASE):
        return False, f"disclosure {quote(text)} does not say an AI wrote the article"
    return True, "disclosure present"


@_check("min_sources", Severity.REQUIRED)
def check_min_sources(article: Article, ctx: CheckContext) -> Outcome:
    """At least `ctx.min_sources` distinct sources when the story is AI-drafted."""
    count = distinct_sources(article)
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
        f"body paragraph {i} cites no source: {quote(text)}; add [n]"
        for i, text in enumerate(article.body, 1)
        if text.strip() and not is_subheading(text) and not CITATION_RE.search(text)
    ]
    count = len(article.sources)
    for where, text in prose(article):
        missing = sorted({n for n in cited_numbers(text) if not 1 <= n <= count})
        if missing:
            cited = ", ".join(f"[{n}]" for n in missing)
            problems.append(f"{where} cites {cited} but there are only {count} source(s)")
    if problems:
        return False, join_problems(problems)
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
        f"placeholder {quote(match.group(0), 40)} in {where}"
        for where, text in article.all_text()
        for pattern in _PLACEHOLDERS
        for match in pattern.finditer(text)
    ]
    if problems:
        return False, join_problems(problems) + ": replace with the real text"
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
        return False, "mention " + join_problems(problems) + ": remove it, a post must not ping"
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
        return False, join_problems(problems)
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
    count = distinct_sources(article)
    for where, text in article.all_text():
        for pattern in _VERIFICATION_RES:
            match = pattern.search(text)
            if match and count < 2:
                return False, (
                    f"{where} claims {quote(match.group(0))} but lists {count} source(s): "
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
