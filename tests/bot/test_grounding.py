"""Grounding checks: the corpus of article + sources pairs, then the rules one by one.

Run as a module (`python -m tests.bot.test_grounding`) to print the detection and
false-positive counts over tests/articles/grounding.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.article import Article, Source, disclosure_text
from bot.checks import CheckContext, Finding, Severity, blocking, run_checks, source_dir_grounding
from bot.figures import figures, source_values, stated
from bot.grounding import CitedPassage, Grounding, names, quotations
from tests.bot.test_checks import CorpusReport

CORPUS = Path(__file__).parents[1] / "articles" / "grounding"
EXPECTED: dict[str, list[str]] = json.loads((CORPUS / "expected.json").read_text())
YEAR = 2026
GROUNDING_CHECKS = {"quotes", "figures", "cited_text", "names"}


def pair_findings(name: str) -> list[Finding]:
    """Every finding on one pair, its citations.json (if any) included."""
    folder = CORPUS / name
    article = Article.from_markdown((folder / "article.md").read_text())
    grounding = source_dir_grounding(folder / "sources", article, YEAR)
    cited = folder / "citations.json"
    if cited.exists():
        grounding.citations = tuple(CitedPassage(**c) for c in json.loads(cited.read_text()))
    return run_checks(article, CheckContext(grounding=grounding))


def failing(name: str) -> list[str]:
    return [f.check for f in pair_findings(name) if not f.ok]


def corpus_report() -> CorpusReport:
    report, wrong = CorpusReport(), []
    for name, want in sorted(EXPECTED.items()):
        got = failing(name)
        if want:
            report.defective += 1
            report.detected += sorted(got) == sorted(want)
        else:
            report.clean += 1
            report.false_positives += bool(got)
        if sorted(got) != sorted(want):
            wrong.append(f"{name}: expected {want}, got {got}")
    report.wrong = tuple(wrong)
    return report


def test_corpus_is_complete() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)
    assert all((CORPUS / n / "article.md").exists() for n in folders)
    clean = [n for n, fails in EXPECTED.items() if not fails]
    assert all(n.startswith("clean_") for n in clean) and len(clean) >= 3
    assert len(EXPECTED) - len(clean) >= 12
    assert {c for fails in EXPECTED.values() for c in fails} == GROUNDING_CHECKS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pair_fails_exactly_its_expected_checks(name: str) -> None:
    assert sorted(failing(name)) == sorted(EXPECTED[name])


def test_grounding_corpus_detection_and_false_positive_counts(
        capsys: pytest.CaptureFixture[str]) -> None:
    report = corpus_report()
    with capsys.disabled():
        print(f"\n[grounding corpus] {report.line().replace('articles', 'pairs')}")
    assert report.wrong == ()
    assert report.detected == report.defective and report.false_positives == 0


def test_a_source_without_text_makes_findings_recommendations_not_blockers() -> None:
    findings = pair_findings("unverifiable_source_without_text")
    failed = {f.check: f for f in findings if not f.ok}
    assert set(failed) == {"quotes", "figures", "names"}
    assert all(f.severity is Severity.RECOMMENDED for f in failed.values())
    assert "could not verify" in failed["figures"].message and "'900'" in failed["figures"].message
    assert blocking(findings) == []


def test_findings_name_the_figure_the_paragraph_and_the_source_to_cite() -> None:
    [wrong] = [f for f in pair_findings("citation_points_at_wrong_source") if not f.ok]
    assert "'81%' in body paragraph 2 is not in [1], which it cites, but in [2]" in wrong.message
    [changed] = [f for f in pair_findings("figure_changed_by_one_digit") if not f.ok]
    assert changed.severity is Severity.REQUIRED and "'4900' in body paragraph 4" in changed.message
    [quote] = [f for f in pair_findings("quote_from_no_source") if not f.ok]
    assert "worst strike" in quote.message and "found in no source" in quote.message
    [cited] = [f for f in pair_findings("cited_text_from_another_source") if not f.ok]
    assert "not in source 2; it is in source 1" in cited.message


# --------------------------------------------------------------------------- rules

ARTICLE = Article(
    headline="Port Traffic Falls", dek="Traffic fell in October. The strike is over.",
    body=("Traffic fell 12% on Nov. 17 [1].", "The union said so [2]."),
    sources=(Source("One", "P"), Source("Two", "P")), disclosure=disclosure_text("ClawNews"))


def context(texts: dict[int, str | None], **kw: object) -> CheckContext:
    return CheckContext(grounding=Grounding(texts, year=YEAR, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(("article_text", "source_text"), [
    ("1,200 ships", "1200 ships"), ("1.2 thousand ships", "1,200 ships"),
    ("$40 million", "40,000,000 dollars"), ("$40m", "USD 40 million"),
    ("12%", "12 percent"), ("12 per cent", "12%"), ("$1.5 Billion", "1.5bn"),
    ("Nov. 17", "17 November 2026"), ("17 November", "2026-11-17"), ("4K", "4,000"),
    ("about 1.2 million", "1,213,000"), ("more than 300", "312"), ("2.5 billion", "2,500 million"),
])
def test_figures_equal_in_another_format_are_found(article_text: str, source_text: str) -> None:
    values = source_values(source_text)
    assert figures(article_text) and all(stated(f, values) for f in figures(article_text))


@pytest.mark.parametrize(("article_text", "source_text"), [
    ("4,900", "4,800"), ("13%", "12 percent"), ("12%", "12 ships"), ("1.3 million", "1,213,000"),
    ("about 4,900", "4,800"), ("Nov. 18", "17 November"), ("$41 million", "$40 million"),
])
def test_figures_that_differ_are_not_found(article_text: str, source_text: str) -> None:
    values = source_values(source_text)
    assert not all(stated(f, values) for f in figures(article_text))


def test_names_codes_ordinals_times_and_markers_are_not_figures() -> None:
    assert figures("GPT-4 beat H100 rigs on 5G in its 3rd test at 10:30 [1][2-3] "
                   "https://x.org/2026/11") == []


def test_the_publication_year_needs_no_source_but_other_years_do() -> None:
    article = ARTICLE.replace(body=("Traffic in 2026 was lower than in 2019 [1].",))
    failed = {f.check: f.message for f in run_checks(article, context({1: "Traffic fell."}))
              if not f.ok}
    assert "'2019'" in failed["figures"] and "2026" not in failed["figures"]


def test_quotes_allow_case_quote_style_and_whitespace() -> None:
    source = 'She said: "the rules’ scope is  CLEAR to every provider," on Monday.'
    article = ARTICLE.replace(body=("She said “The rules' scope is clear to every provider” [1].",))
    findings = run_checks(article, context({1: source, 2: "Nothing."}))
    assert next(f for f in findings if f.check == "quotes").ok
    assert quotations('A "short one" and “four words are enough”') == ["four words are enough"]


def test_names_skip_common_sentence_openers() -> None:
    text = "Chipmakers Nvidia and AMD agreed. After Helen Park spoke, the Bank of England waited."
    assert names(text, lambda w: w == "Chipmakers") == ["Helen Park", "Bank of England"]


def test_without_any_stored_text_the_checks_say_they_could_not_run() -> None:
    findings = run_checks(ARTICLE, context({1: None, 2: None}))
    grounding = {f.check: f for f in findings if f.check in GROUNDING_CHECKS}
    for check in ("quotes", "figures", "names"):
        assert not grounding[check].ok and grounding[check].severity is Severity.RECOMMENDED
        assert "could not run: none of the 2 listed source(s) has stored text" in \
            grounding[check].message
    assert grounding["cited_text"].ok
    assert blocking(findings) == []


def test_cited_text_must_be_in_the_source_it_names() -> None:
    passages = (CitedPassage("body paragraph 1", 1, "Traffic fell 12% on Nov. 17."),
                CitedPassage("body paragraph 2", 2, "Traffic fell 12% on Nov. 17."))
    ctx = context({1: "Traffic fell 12% on Nov. 17.", 2: "The union said so."},
                  citations=passages)
    [finding] = [f for f in run_checks(ARTICLE, ctx) if f.check == "cited_text"]
    assert not finding.ok and finding.severity is Severity.REQUIRED
    assert "cited in body paragraph 2 is not in source 2; it is in source 1" in finding.message
    ok = replace(ctx, grounding=Grounding(ctx.grounding.texts, citations=passages[:1]))
    assert next(f for f in run_checks(ARTICLE, ok) if f.check == "cited_text").ok


if __name__ == "__main__":
    print(corpus_report().line().replace("articles", "pairs"))
