"""The article model: Markdown form, lenient parsing, JSON round trip, sentences."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.article import LENGTHS, Article, Source, disclosure_text
from bot.article_markdown import ArticleFormatError
from bot.errors import InvalidInput
from bot.prose import count_words, split_sentences

CORPUS = Path(__file__).parents[1] / "articles"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
PARSEABLE = sorted(name for name, fails in EXPECTED.items()
                   if "unparseable" not in fails and name != "no_headline.md")

SPEC_EXAMPLE = """\
# Headline

Dek paragraph.

Body paragraph citing sources [1].

Another body paragraph [1][2].

## Why It Matters

Paragraph.

## The Bottom Line

Sentence.

## Sources

1. Title - Publisher - https://example.org/a - 2026-11-20
2. Title - Publisher - https://example.org/b

---

Disclosure line.
"""

ARTICLE = Article(
    headline="Headline",
    dek="Dek paragraph.",
    body=("Body paragraph citing sources [1].", "Another body paragraph [1][2]."),
    why_it_matters="Paragraph.",
    bottom_line="Sentence.",
    sources=(
        Source("Title", "Publisher", "https://example.org/a", "2026-11-20"),
        Source("Title", "Publisher", "https://example.org/b"),
    ),
    disclosure="Disclosure line.",
)


# --------------------------------------------------------------------------- sources


def test_source_line_skips_empty_parts() -> None:
    assert (
        Source("T", "P", "https://x.org", "2026-11-20").line()
        == "T - P - https://x.org - 2026-11-20"
    )
    assert Source("T", url="https://x.org").line() == "T - https://x.org"
    assert Source("", url="https://x.org").line() == "https://x.org"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("T - P - https://x.org/a - 2026-11-20", Source("T", "P", "https://x.org/a", "2026-11-20")),
        ("T - https://x.org/a", Source("T", url="https://x.org/a")),
        (
            "[T](https://x.org/a) - P - Nov 20, 2026",
            Source("T", "P", "https://x.org/a", "Nov 20, 2026"),
        ),
        ("T - P - 20 November 2026", Source("T", "P", date="20 November 2026")),
        ("T – P — <https://x.org/a>", Source("T", "P", "https://x.org/a")),
        ("Chips - the sequel - Reuters", Source("Chips", "the sequel - Reuters")),
        ("https://x.org/a", Source("", url="https://x.org/a")),
    ],
)
def test_source_parse(line: str, expected: Source) -> None:
    assert Source.parse(line) == expected


@pytest.mark.parametrize(
    "line", ["T - P - https://x.org - 2026-11", "2026 - T", "A - B - C - D", "[T](https://x)"]
)
def test_source_parse_of_its_line_is_stable(line: str) -> None:
    once = Source.parse(line).line()
    assert Source.parse(once).line() == once


# --------------------------------------------------------------------------- markdown


def test_disclosure_text() -> None:
    assert disclosure_text("ClawNews") == (
        "This article was written by an AI newsroom agent of ClawNews and reviewed by its "
        "editors. For corrections or feedback, use /feedback or the button below."
    )


def test_spec_example_parses_to_fields() -> None:
    assert Article.from_markdown(SPEC_EXAMPLE) == ARTICLE


def test_to_markdown_is_exactly_the_spec_form() -> None:
    assert ARTICLE.to_markdown() == SPEC_EXAMPLE


def test_to_markdown_leaves_out_empty_sections() -> None:
    markdown = Article("H", "D.", ("B [1].",)).to_markdown()
    assert markdown == "# H\n\nD.\n\nB [1].\n"


@pytest.mark.parametrize("name", PARSEABLE)
def test_corpus_markdown_round_trip_is_stable(name: str) -> None:
    """to_markdown(from_markdown(x)) is a fixed point and keeps every field."""
    article = Article.from_markdown((CORPUS / name).read_text())
    once = article.to_markdown()
    again = Article.from_markdown(once)
    assert again == article
    assert again.to_markdown() == once


def test_round_trip_keeps_citation_markers_and_text() -> None:
    article = Article.from_markdown((CORPUS / "clean_ai_tutor_study.md").read_text())
    assert "[1-3]" in article.body[1]
    assert "[1, 2]" in article.body[0]
    assert "(p. 14) [1]" in article.body[2]


# --------------------------------------------------------------------------- leniency

BODY = "Body one [1].\n\nBody two [2].\n\n"
TAIL = "## Sources\n\n1. A - https://a.org\n2. B - https://b.org\n\n---\n\nDisclosure.\n"


@pytest.mark.parametrize(
    "text",
    [
        "\n\n\n# H\n\nDek.\n\n" + BODY + TAIL,
        "Here is the article:\n\n# H\n\nDek.\n\n" + BODY + TAIL,
        "Sure! Here's a draft based on your sources.\n# H\n\nDek.\n\n" + BODY + TAIL,
        "<!-- draft 3 -->\n# H\n\nDek.\n\n" + BODY + TAIL,
        "```markdown\n# H\n\nDek.\n\n" + BODY + TAIL + "```\n",
        "```\n# H\n\nDek.\n\n" + BODY + TAIL + "\nLet me know if you want changes.\n```\n",
        "# H\n\nDek.\n\n" + BODY + TAIL + "\nI hope this helps!\n\nWould you like a shorter one?",
        "\ufeff# H\r\n\r\nDek.\r\n\r\n" + BODY.replace("\n", "\r\n") + TAIL.replace("\n", "\r\n"),
        "# **H**\n\nDek.\n\n" + BODY + TAIL,
        "## H\n\nDek.\n\n" + BODY + TAIL,
        "**H**\n\nDek.\n\n" + BODY + TAIL,
        "Headline: H\n\nDek.\n\n" + BODY + TAIL,
        "H\n\nDek.\n\n" + BODY + TAIL,
        "# H\n\nDek.\n\n"
        + BODY
        + "Sources:\n[1] A - https://a.org\n[2] B - https://b.org\n\n---\n\nDisclosure.",
        "# H\n\nDek.\n\n"
        + BODY
        + "**Sources**\n1) A - https://a.org\n2) B - https://b.org\n\nDisclosure.",
        "# H\n\nDek.\n\n"
        + BODY
        + "### References\n- A - https://a.org\n- B - https://b.org\n\n"
        + "## Disclosure\n\nDisclosure.",
        "# H\n\nDek.\n\n"
        + BODY
        + "Sources\n\n[1]: A - https://a.org\n[2]: B - https://b.org\n\n***\n\nDisclosure.",
        "# H\n\nDek.\n\n"
        + BODY
        + "## Sources\n1. A - https://a.org\n1. B - https://b.org\n---\nDisclosure.",
    ],
)
def test_lenient_layouts_parse_to_the_same_article(text: str) -> None:
    article = Article.from_markdown(text)
    assert article.headline == "H"
    assert article.dek == "Dek."
    assert article.body == ("Body one [1].", "Body two [2].")
    assert [s.line() for s in article.sources] == ["A - https://a.org", "B - https://b.org"]
    assert article.disclosure == "Disclosure."


@pytest.mark.parametrize(
    ("why", "bottom"),
    [
        ("## Why it matters\n\nW [1].", "## The bottom line\n\nB."),
        ("**Why It Matters**\nW [1].", "**The Bottom Line**\nB."),
        ("**Why it matters:** W [1].", "**Bottom line:** B."),
        ("Why It Matters:\nW [1].", "Bottom Line:\nB."),
        ("WHY IT MATTERS\n\nW [1].", "THE BOTTOM LINE\n\nB."),
    ],
)
def test_section_headings_in_any_style(why: str, bottom: str) -> None:
    article = Article.from_markdown(f"# H\n\nDek.\n\n{BODY}{why}\n\n{bottom}\n\n{TAIL}")
    assert (article.why_it_matters, article.bottom_line) == ("W [1].", "B.")
    assert article.body == ("Body one [1].", "Body two [2].")


def test_subheading_that_starts_like_a_section_stays_in_the_body() -> None:
    article = Article.from_markdown("# H\n\nDek.\n\n## Why it matters for chipmakers\n\nB [1].")
    assert article.body == ("## Why it matters for chipmakers", "B [1].")
    assert article.why_it_matters == ""


def test_disclosure_without_rule_is_recognised() -> None:
    text = "# H\n\nDek.\n\nB [1].\n\nThis article was written by an AI newsroom agent of X."
    article = Article.from_markdown(text)
    assert article.body == ("B [1].",)
    assert article.disclosure.startswith("This article was written")


def test_a_rule_inside_a_bare_body_does_not_swallow_it() -> None:
    article = Article.from_markdown("# H\n\nDek.\n\nOne [1].\n\n---\n\nTwo [1].\n\nThree [1].")
    assert article.body == ("One [1].", "Two [1].", "Three [1].")
    assert article.disclosure == ""


def test_body_paragraph_keeps_its_line_breaks_and_markup() -> None:
    article = Article.from_markdown('# H\n\nDek.\n\n- first [1]\n- second [2]\n\n> "Quote." [1]')
    assert article.body == ("- first [1]\n- second [2]", '> "Quote." [1]')


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no headline"),
        ("   \n\n", "no headline"),
        ("## Why It Matters\n\nText.", "no headline"),
        (
            "A long first paragraph that reads like prose. It is not a headline at all.",
            "no headline",
        ),
        ("Some stray text\n\n# H\n\nDek.", "text before the headline: 'Some stray text'"),
        ("# H\n\nDek.\n\n## Sources\n\n1. A\n3. B", "numbered 1, 3"),
    ],
)
def test_unreadable_articles_raise_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(ArticleFormatError, match=says.replace("(", r"\(")):
        Article.from_markdown(text)


def test_format_error_is_a_value_error_safe_to_show() -> None:
    assert issubclass(ArticleFormatError, ValueError)
    assert issubclass(ArticleFormatError, InvalidInput)


# --------------------------------------------------------------------------- values


def test_dict_round_trip_through_json() -> None:
    data = json.loads(json.dumps(ARTICLE.to_dict()))
    assert Article.from_dict(data) == ARTICLE
    assert data["sources"][0] == {
        "title": "Title",
        "publisher": "Publisher",
        "url": "https://example.org/a",
        "date": "2026-11-20",
    }


def test_no_headline_is_refused_unless_the_caller_reads_it_for_checks() -> None:
    text = (CORPUS / "no_headline.md").read_text()
    with pytest.raises(ArticleFormatError, match="no headline"):
        Article.from_markdown(text)
    article = Article.from_markdown(text, headline_required=False)
    assert article.headline == "" and article.dek.startswith("The U.S. Commerce Department")
    assert len(article.sources) == 3 and article.disclosure


def test_from_dict_tolerates_missing_optional_keys_and_refuses_no_headline() -> None:
    assert Article.from_dict({"headline": "H"}) == Article("H", "", ())
    with pytest.raises(ArticleFormatError, match="headline"):
        Article.from_dict({"dek": "D."})


def test_lists_become_tuples_and_source_dicts_become_sources() -> None:
    article = Article(
        "H", "D.", ["B."], sources=[{"title": "T", "url": "https://t"}, "U - https://u"]
    )  # type: ignore[arg-type]
    assert article.body == ("B.",)
    assert article.sources == (Source("T", url="https://t"), Source("U", url="https://u"))
    hash(article)


def test_replace_and_immutability() -> None:
    changed = ARTICLE.replace(headline="New")
    assert changed.headline == "New" and ARTICLE.headline == "Headline"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ARTICLE.headline = "x"  # type: ignore[misc]


def test_word_count_covers_body_and_closing_sections_without_citations() -> None:
    article = Article(
        "Not counted",
        "Not counted either.",
        ("One two [1][2].", "The U.S. grew 3.5% [1-3]."),
        why_it_matters="Three words here.",
        bottom_line="Last one.",
        disclosure="Not counted.",
    )
    assert article.word_count() == 2 + 4 + 3 + 2
    assert count_words("well-known e.g. [12]") == 2


def test_lengths_are_the_drafting_ranges() -> None:
    assert LENGTHS == {"brief": (150, 350), "standard": (400, 800), "long": (800, 1500)}


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("The U.S. grew. Dr. Lee agreed.", ["The U.S. grew.", "Dr. Lee agreed."]),
        ("Prices rose 3.5% [1]. Then fell.", ["Prices rose 3.5% [1].", "Then fell."]),
        ('He said "no." Then left.', ['He said "no."', "Then left."]),
        ("See No. 5 today. Done!", ["See No. 5 today.", "Done!"]),
        ("Really? Yes.", ["Really?", "Yes."]),
        ("e.g. this and i.e. that, all one", ["e.g. this and i.e. that, all one"]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences
