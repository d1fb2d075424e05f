"""Pre-publish checks: the article corpus, then each rule's edge cases.

Run as a module (`python -m tests.bot.test_checks`) to print the detection and
false-positive counts over tests/articles.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import checks, form_checks
from bot.article import Article, Source, disclosure_text
from bot.article_markdown import ArticleFormatError
from bot.checks import (
    CHECKS,
    CheckContext,
    Finding,
    Severity,
    blocking,
    run_checks,
    summary_line,
)
from bot.render import message_within_limits, render_article

CORPUS = Path(__file__).parents[1] / "articles"
EXPECTED: dict[str, list[str]] = json.loads((CORPUS / "expected.json").read_text())
CONTEXTS: dict[str, dict[str, object]] = json.loads((CORPUS / "contexts.json").read_text())
UNPARSEABLE = "unparseable"

CHECK_NAMES = [
    "headline",
    "dek_complete",
    "no_repetition",
    "disclosure",
    "min_sources",
    "citations",
    "no_placeholders",
    "no_mentions",
    "discord_limits",
    "verification_claim",
    "word_count",
    "sections",
]
GROUNDING_NAMES = ["quotes", "figures", "cited_text", "names"]


def context_for(name: str) -> CheckContext:
    """The context a corpus file is checked with (tests/articles/contexts.json)."""
    return CheckContext(**CONTEXTS.get(name, {}))  # type: ignore[arg-type]


def failing_checks(name: str) -> list[str]:
    """The checks that fail on a corpus file, or ["unparseable"]."""
    try:
        text = (CORPUS / name).read_text()
        article = Article.from_markdown(text, headline_required=False)  # as `newsroom check`
    except ArticleFormatError:
        return [UNPARSEABLE]
    return [f.check for f in run_checks(article, context_for(name)) if not f.ok]


# --------------------------------------------------------------------------- corpus


def test_corpus_is_complete_and_consistent() -> None:
    files = {p.name for p in CORPUS.glob("*.md") if p.name != "README.md"}
    assert files == set(EXPECTED), "every article is listed in expected.json and vice versa"
    assert set(CONTEXTS) <= files
    clean = [n for n, fails in EXPECTED.items() if not fails]
    assert all(n.startswith("clean_") for n in clean)
    assert len(clean) >= 12
    assert len(EXPECTED) - len(clean) >= 25
    known = {*CHECK_NAMES, UNPARSEABLE}  # grounding: tests/articles/grounding
    assert {c for fails in EXPECTED.values() for c in fails} <= known


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_fails_exactly_its_expected_checks(name: str) -> None:
    assert sorted(failing_checks(name)) == sorted(EXPECTED[name])


@dataclass
class CorpusReport:
    """Detection over defective files and false positives over clean ones."""

    defective: int = 0
    detected: int = 0
    clean: int = 0
    false_positives: int = 0
    wrong: tuple[str, ...] = ()

    def line(self) -> str:
        return (
            f"detected {self.detected}/{self.defective} defective articles exactly; "
            f"false positives on {self.false_positives}/{self.clean} clean articles"
        )


def corpus_report() -> CorpusReport:
    """Count how the checks do on the whole corpus."""
    report = CorpusReport()
    wrong = []
    for name, want in sorted(EXPECTED.items()):
        got = failing_checks(name)
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


def test_corpus_detection_and_false_positive_counts(capsys: pytest.CaptureFixture[str]) -> None:
    report = corpus_report()
    with capsys.disabled():
        print(f"\n[corpus] {report.line()}")
    assert report.wrong == ()
    assert report.detected == report.defective
    assert report.false_positives == 0


# --------------------------------------------------------------------------- running

SOURCES = (Source("A", "Pub", "https://a.org"), Source("B", "Pub", "https://b.org"))
GOOD = Article(
    headline="Regulator Fines Chatbot Maker",
    dek="A regulator fined a chatbot maker on Monday. The company will appeal.",
    body=("The fine was $18 million, the regulator said [1].", "The company disputes it [2]."),
    why_it_matters="Fines of this size are new for the sector [1][2].",
    bottom_line="Expect an appeal.",
    sources=SOURCES,
    disclosure=disclosure_text("ClawNews"),
)


DEFAULT = CheckContext()
LONG_SENTENCE = "The regulator said on Monday that the fine was the largest in its history"


def failed(article: Article, ctx: CheckContext = DEFAULT) -> dict[str, str]:
    """check name -> message of every failed finding."""
    return {f.check: f.message for f in run_checks(article, ctx) if not f.ok}


def test_run_checks_returns_every_check_in_a_stable_order() -> None:
    findings = run_checks(GOOD)  # no grounding material: the grounding checks do not apply
    assert [f.check for f in findings] == CHECK_NAMES
    assert [c.name for c in CHECKS] == CHECK_NAMES + GROUNDING_NAMES
    assert all(f.ok for f in findings)
    assert [f.severity for f in findings] == [Severity.REQUIRED] * 10 + [Severity.RECOMMENDED] * 2
    assert all(f.message for f in findings)


def test_blocking_and_summary_line() -> None:
    findings = run_checks(GOOD.replace(dek="Cut off mid-wo", bottom_line=""))
    assert [f.check for f in blocking(findings)] == ["dek_complete"]
    assert summary_line(findings) == "9/10 required checks pass, 1 warning"
    assert summary_line(run_checks(GOOD)) == "10/10 required checks pass, no warnings"
    two = [
        Finding("a", Severity.RECOMMENDED, False, "x"),
        Finding("b", Severity.RECOMMENDED, False, "y"),
    ]
    assert summary_line(two) == "0/0 required checks pass, 2 warnings"


def test_a_crashing_check_fails_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(article: Article, ctx: CheckContext) -> tuple[bool, str]:
        raise RuntimeError("kaput")

    crashing = [checks.Check("headline", Severity.REQUIRED, boom), *CHECKS[1:]]
    monkeypatch.setattr(checks, "CHECKS", crashing)
    findings = run_checks(GOOD)
    assert findings[0] == Finding(
        "headline", Severity.REQUIRED, False, "the check could not run: kaput"
    )


def test_context_validates_length() -> None:
    with pytest.raises(ValueError, match="brief, standard, long"):
        CheckContext(length="epic")


# --------------------------------------------------------------------------- single rules


@pytest.mark.parametrize(
    "dek",
    [
        'The agency said the move was "overdue."',
        "Exports to the U.S. fell 3.5%.",
        "Is this the end? Not yet!",
        "Prices rose [1].",
        "*An italic dek ends here.*",
        "It ended (for now).",
        "It was “a first step.”",
    ],
)
def test_complete_deks_pass(dek: str) -> None:
    assert "dek_complete" not in failed(GOOD.replace(dek=dek))


@pytest.mark.parametrize(
    ("dek", "says"),
    [
        (
            "The new rule highlights the fragil",
            'ends mid-sentence: "The new rule highlights the fragil"',
        ),
        (
            "A summary that runs on for a while and " * 2 + "then stops",
            '"…that runs on for a while and then stops"',
        ),
        ("The new rule highlights the.", "ends on 'the'"),
        ("The new rule highlights...", "ellipsis"),
        ("The new rule highlights…", "ellipsis"),
        ("The new rule:", "mid-sentence"),
        ("", "no dek"),
        ("Long. " * 60, "limit 300"),
    ],
)
def test_incomplete_deks_fail_quoting_the_end(dek: str, says: str) -> None:
    assert says in failed(GOOD.replace(dek=dek))["dek_complete"]


@pytest.mark.parametrize(
    ("headline", "says"),
    [("", "no headline"), ("x" * 101, "101 characters"), ("Two\nlines", "one line")],
)
def test_headline_rules(headline: str, says: str) -> None:
    assert says in failed(GOOD.replace(headline=headline))["headline"]


def test_headline_of_exactly_100_characters_passes() -> None:
    assert "headline" not in failed(GOOD.replace(headline="x" * 100))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            ("# Regulator Fines Chatbot Maker", "The fine was $18 million [1]."),
            "repeats the headline",
        ),
        (("Regulator Fines Chatbot Maker\nThe fine was $18 million [1].",), "repeats the headline"),
        ((GOOD.dek + " [1]", "More [2]."), "repeats the dek"),
        (
            ("Lead [1].", "The fine was $18 million [1].", "The fine was $18 million [1]."),
            "repeats body paragraph 2",
        ),
        (
            (f"{LONG_SENTENCE} [1]. It was.", f"Later {LONG_SENTENCE.lower()} [2]."),
            "repeats a passage of body paragraph 1",
        ),
        (
            (f"{LONG_SENTENCE} [1]. {LONG_SENTENCE} [1].",),
            "repeats a passage",
        ),
    ],
)
def test_repetition_is_caught(body: tuple[str, ...], says: str) -> None:
    assert says in failed(GOOD.replace(body=body))["no_repetition"]


def test_short_repeated_sentences_and_common_phrases_pass() -> None:
    body = ("It did not [1]. Officials said so [1].", "It did not [2]. Analysts agreed [2].")
    assert "no_repetition" not in failed(GOOD.replace(body=body))


def test_disclosure_rules() -> None:
    assert "no disclosure" in failed(GOOD.replace(disclosure=""))["disclosure"]
    assert "AI" in failed(GOOD.replace(disclosure="Reviewed by editors."))["disclosure"]
    human = CheckContext(ai_drafted=False)
    assert "disclosure" not in failed(GOOD.replace(disclosure="Reviewed by editors."), human)


def test_min_sources_counts_distinct_sources_for_ai_drafts_only() -> None:
    same = GOOD.replace(sources=(SOURCES[0], SOURCES[0]))
    assert "1 distinct source" in failed(same)["min_sources"]
    assert "min_sources" not in failed(same, CheckContext(ai_drafted=False))
    assert "at least 3" in failed(GOOD, CheckContext(min_sources=3))["min_sources"]
    blank = GOOD.replace(sources=(*SOURCES, Source("")))
    assert "min_sources" not in failed(blank)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (("Uncited claim.", "Cited [1]."), "body paragraph 1 cites no source"),
        (("Cited [3].",), "cites [3] but there are only 2"),
        (("Cited [0].",), "cites [0]"),
        (("Cited [1-3].",), "cites [3]"),
        (("Cited [1, 4].",), "cites [4]"),
    ],
)
def test_citation_rules(body: tuple[str, ...], says: str) -> None:
    assert says in failed(GOOD.replace(body=body))["citations"]


def test_citations_accept_lists_ranges_and_exempt_subheadings() -> None:
    body = ("## Reaction", "**Analysis**", "Cited [1, 2].", "Cited [1-2].", "Cited [2][1].")
    assert "citations" not in failed(GOOD.replace(body=body))


def test_citation_in_a_closing_section_must_exist() -> None:
    assert "Why It Matters cites [7]" in failed(GOOD.replace(why_it_matters="W [7]."))["citations"]


@pytest.mark.parametrize(
    "text",
    [
        "Sales rose TK percent",
        "TODO: confirm figure",
        "as reported [citation needed]",
        "{company_name} said",
        "Lorem ipsum dolor",
        "a fine of $XXX million",
        "according to [Source]",
        "[Insert quote here]",
        "INSERT QUOTE",
        "<insert name>",
        "see [link]",
    ],
)
def test_placeholders_are_caught(text: str) -> None:
    body = (f"{text} [1].", "Cited [2].")
    assert "placeholder" in failed(GOOD.replace(body=body))["no_placeholders"]


@pytest.mark.parametrize(
    "text",
    ["TikTok and TKO said", "XX Century", "Xbox sales", "an insert in the paper", "[sic]"],
)
def test_placeholder_lookalikes_pass(text: str) -> None:
    assert "no_placeholders" not in failed(GOOD.replace(body=(f"{text} [1].",)))


@pytest.mark.parametrize(
    "text", ["@everyone", "@here", "@Everyone", "<@123456789>", "<@!123456789>", "<@&123456789>"]
)
def test_mentions_are_caught_anywhere(text: str) -> None:
    assert text in failed(GOOD.replace(bottom_line=f"Hi {text}."))["no_mentions"]
    assert text in failed(GOOD.replace(sources=(*SOURCES, Source(text))))["no_mentions"]


def test_email_addresses_are_not_mentions() -> None:
    assert "no_mentions" not in failed(GOOD.replace(bottom_line="Write to tips@heraldnews.org."))


def test_discord_limits_pass_for_long_articles_and_fail_beyond_the_message_budget() -> None:
    paragraph = "Paragraph {i} has its own figures, {i} tonnes and {j} people [1]. " * 3
    body = tuple(paragraph.format(i=i, j=i * 7) for i in range(40))
    assert "discord_limits" not in failed(GOOD.replace(body=body))
    huge = tuple(paragraph.format(i=i, j=i * 7) for i in range(400))
    assert "crosspost budget" in failed(GOOD.replace(body=huge))["discord_limits"]


def test_discord_limits_fail_when_rendering_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("no")

    monkeypatch.setattr(form_checks, "render_article", broken)
    assert "cannot be rendered" in failed(GOOD)["discord_limits"]


@pytest.mark.parametrize(
    "claim",
    [
        "All facts were independently verified against multiple sources.",
        "Every figure was cross-checked with several independent sources.",
        "Multiple sources confirmed the report.",
        "All claims have been fact-checked.",
    ],
)
def test_verification_claim_needs_two_sources(claim: str) -> None:
    one = GOOD.replace(sources=SOURCES[:1], disclosure=GOOD.disclosure + " " + claim)
    assert "list the sources or remove the claim" in failed(one)["verification_claim"]
    assert "verification_claim" not in failed(one.replace(sources=SOURCES))


def test_word_count_only_with_a_length() -> None:
    assert "word_count" not in failed(GOOD)
    assert (
        "outside 150-350 for brief: add some"
        in failed(GOOD, CheckContext(length="brief"))["word_count"]
    )
    long = GOOD.replace(body=tuple(f"Word {i} " * 100 + "[1]." for i in range(9)))
    assert "cut some" in failed(long, CheckContext(length="standard"))["word_count"]


def test_sections_warning_names_the_missing_ones() -> None:
    message = failed(GOOD.replace(why_it_matters="", bottom_line=""))["sections"]
    assert message == "missing '## Why It Matters' and '## The Bottom Line'"


MANGLE = ["#", "# ", "## ", "---", "\n", "\n\n", "[1]", "[2-9]", "**", "Sources:", "1. ", "[3] "]
MANGLE += ["Why it matters", "This article was written by AI.", "```", "<@&1>", "{", " - ", "x."]


@pytest.mark.parametrize("seed", range(4))
def test_mangled_articles_never_crash_a_check_or_break_a_limit(seed: int) -> None:
    """Cut-and-spliced corpus text: parsing fails cleanly or every check runs and the
    rendering keeps every limit."""
    rng = random.Random(seed)
    texts = [(CORPUS / name).read_text() for name in sorted(EXPECTED)]
    for _ in range(60):
        text = rng.choice(texts)
        start, end = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        splice = "".join(rng.choice(MANGLE) for _ in range(rng.randint(0, 6)))
        try:
            article = Article.from_markdown(text[:start] + splice + text[end:])
        except ArticleFormatError:
            continue
        findings = run_checks(article)
        assert not [f for f in findings if "could not run" in f.message]
        assert "cannot be rendered" not in " ".join(f.message for f in findings)
        note = [("Correction", splice or "x")]
        for msg in render_article(article, story_id=1, agency_name="X", corrections=note):
            assert message_within_limits(msg) == []


if __name__ == "__main__":
    report = corpus_report()
    print(report.line())
    print("\n".join(report.wrong) or "every file fails exactly its expected checks")
