"""The grounding checks (spec section 3): nothing ships that its sources do not say.

They compare the article with the sources' stored text (`bot.grounding.Grounding`):
- quotes (required): every quotation of 4 words or more is in some source;
- figures (required): every amount, percentage, count, date and year (but the publication
  year) of a paragraph is in a source that paragraph cites (any source for a paragraph
  that cites none: headline, dek, closing lines); 1,200 = 1.2 thousand, 12% = 12 percent;
- names (recommended): capitalised multi-word names appear in a source or the Sources list;
- cited_text (required): each passage Claude said it cited is in the source it names.

They run only when the context carries a `Grounding`. A check with nothing to compare
against (no source has stored text) does not pass silently: it fails as a recommendation
saying it could not run; likewise a finding that only some sources could not be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.article import Article
from bot.check_base import (
    Check,
    CheckContext,
    Outcome,
    Severity,
    cited_numbers,
    join_problems,
    prose,
    quote,
    registrar,
)
from bot.grounding import Grounding, article_figures, names, quotations, quote_parts, tokens


def _grounded(ctx: CheckContext) -> bool:
    return ctx.grounding is not None


_WORDS_RE = re.compile(r"[^\W_]+")
GROUNDING_CHECKS: list[Check] = []
_check = registrar(GROUNDING_CHECKS, applies=_grounded)


def _material(ctx: CheckContext) -> tuple[Grounding, Outcome | None]:
    """The grounding, and the could-not-run outcome when there is nothing to compare with."""
    g = ctx.grounding
    assert g is not None  # `applies` guarantees it
    if not g.numbers:
        return g, (False, "could not run: the article lists no sources", Severity.RECOMMENDED)
    if not g.with_text and not g.citations:
        count = len(g.numbers)
        return g, (False, f"could not run: none of the {count} listed source(s) has stored "
                          "text to compare with", Severity.RECOMMENDED)
    return g, None


def _verdict(problems: list[str], unverified: list[str], missing: list[int],
             ok_message: str) -> Outcome:
    """Problems fail as required; what could not be verified alone is a recommendation."""
    if problems:
        return False, join_problems(problems)
    if unverified:
        which = ", ".join(map(str, missing)) or "?"
        return False, (f"could not verify {join_problems(unverified, 3)}: source(s) {which} "
                       "have no stored text"), Severity.RECOMMENDED
    return True, ok_message


def _sections(article: Article) -> Iterable[tuple[str, str]]:
    """The headline and every prose paragraph: where a claim can be."""
    if article.headline.strip():
        yield "headline", article.headline
    yield from prose(article)


def _unreadable(g: Grounding, numbers: Iterable[int]) -> list[int]:
    return [n for n in numbers if g.index(n) is None and g.cited_passages(n) is None]


@_check("quotes", Severity.REQUIRED)
def check_quotes(article: Article, ctx: CheckContext) -> Outcome:
    """Every quotation of 4+ words is in the stored text of some source."""
    g, cannot = _material(ctx)
    if cannot:
        return cannot
    problems, unverified, count = [], [], 0
    unreadable = _unreadable(g, g.numbers)
    for where, text in _sections(article):
        for quotation in quotations(text):
            count += 1
            parts = quote_parts(quotation)
            if any(all(g.where_said([n], part) for part in parts) for n in g.numbers):
                continue
            if unreadable:
                unverified.append(f"the quotation {quote(quotation)} in {where}")
            else:
                problems.append(f"the quotation {quote(quotation)} in {where} was found in no "
                                "source: quote the source's exact words or drop the quotes")
    ok = f"{count} quotation(s), each found in a source" if count else "no quotations"
    return _verdict(problems, unverified, unreadable, ok)


@_check("figures", Severity.REQUIRED)
def check_figures(article: Article, ctx: CheckContext) -> Outcome:
    """Every figure of a paragraph is in a source that paragraph cites."""
    g, cannot = _material(ctx)
    if cannot:
        return cannot
    problems, unverified, missing, count = [], [], set(), 0
    for where, text in _sections(article):
        cited = sorted(cited_numbers(text) & set(g.numbers)) or g.numbers
        for figure in article_figures(text, g.year):
            count += 1
            if g.where_stated(cited, figure):
                continue
            unreadable = _unreadable(g, cited)
            if unreadable:
                missing.update(unreadable)
                unverified.append(f"{figure.text!r} in {where}")
                continue
            problems.append(_figure_problem(g, figure.text, where, cited,
                                            g.where_stated(set(g.numbers) - set(cited), figure)))
    ok = f"{count} figure(s), each found in a source its paragraph cites" if count \
        else "no figures"
    return _verdict(problems, unverified, sorted(missing), ok)


def _figure_problem(g: Grounding, figure: str, where: str, cited: list[int],
                    elsewhere: list[int]) -> str:
    cites = "".join(f"[{n}]" for n in cited)
    if elsewhere:
        other = "".join(f"[{n}]" for n in elsewhere)
        return f"{figure!r} in {where} is not in {cites}, which it cites, but in {other}: " \
               "cite the right source"
    return f"{figure!r} in {where} is in none of the sources it cites ({cites}): " \
           "check the figure against the source"


@_check("cited_text", Severity.REQUIRED)
def check_cited_text(article: Article, ctx: CheckContext) -> Outcome:
    """Each passage Claude said it cited is in the source it names."""
    g = ctx.grounding
    assert g is not None
    if g.citations is None:
        return True, "no API citations to check (this revision was not written by Claude)"
    problems, unchecked = [], 0
    for c in g.citations:
        words = tokens(c.cited_text)
        if c.source not in g.texts:
            problems.append(f"{c.paragraph} cites source {c.source}, which is not listed")
            continue
        index = g.index(c.source)
        if index is None:
            unchecked += 1
        elif not index.says(words):
            found = [n for n in g.with_text if n != c.source and g.where_said([n], words)]
            also = f"; it is in source {found[0]}" if found else ""
            problems.append(f"the passage {quote(c.cited_text, 50)} cited in {c.paragraph} is "
                            f"not in source {c.source}{also}")
    if problems:
        return False, join_problems(problems)
    note = f" ({unchecked} from sources without stored text not checked)" if unchecked else ""
    return True, f"{len(g.citations) - unchecked} cited passage(s) found in their sources{note}"


@_check("names", Severity.RECOMMENDED)
def check_names(article: Article, ctx: CheckContext) -> Outcome:
    """Capitalised multi-word names in the article appear in some source."""
    g, cannot = _material(ctx)
    if cannot:
        return cannot
    article_words = set(_WORDS_RE.findall(" ".join(t for _, t in prose(article))))

    def common(word: str) -> bool:
        return g.lower_case_somewhere(word) or word.lower() in article_words

    absent, count = [], 0
    for where, text in prose(article):
        for name in names(text, common):
            count += 1
            words = tokens(name)
            if words in g.extra_words or g.where_said(g.numbers, words):
                continue
            absent.append(f'"{name}" ({where})')
    if absent:
        scope = "no source" if not _unreadable(g, g.numbers) else "no source with stored text"
        return False, "names found in " + scope + ": " + join_problems(absent) + \
            "; check the spelling against the source"
    return True, f"{count} name(s), each found in a source" if count else "no names to check"

