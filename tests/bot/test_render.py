"""Rendering articles into Discord messages: limits, nothing lost, corrections first."""

from __future__ import annotations

import random
import re

import discord
import pytest

from bot.article import Article, Source, disclosure_text
from bot.render import (
    CORRECTION_COLOUR,
    LIMITS,
    RenderedMessage,
    embed_char_count,
    message_within_limits,
    render_article,
    render_retraction,
    split_text,
)

SOURCES = (
    Source("Commerce widens curbs", "Reuters", "https://reuters.com/a", "2026-11-17"),
    Source("What the rule means", "Lawfare", "https://lawfaremedia.org/b"),
)
SHORT = Article(
    headline="U.S. Tightens Export Rules on AI Chips",
    dek="The U.S. widened its controls on Tuesday. Chipmakers expect delays.",
    body=("The rule lowers the threshold [1].", "Officials said it closes a gap [1][2]."),
    why_it_matters="Controls shape where models are trained [2].",
    bottom_line="Expect slower deliveries.",
    sources=SOURCES,
    disclosure=disclosure_text("ClawNews"),
)


def long_article(chars: int, seed: int = 3) -> Article:
    """An article with a body of about `chars` characters of distinct words."""
    rng = random.Random(seed)
    paragraphs, total, n = [], 0, 0
    while total < chars:
        words = [f"w{n}x{i}" + "y" * rng.randint(0, 8) for i in range(rng.randint(20, 140))]
        sentences = " ".join(words).replace(" w", ". W", rng.randint(1, 4))
        paragraphs.append(f"{sentences} [1].")
        total += len(paragraphs[-1]) + 2
        n += 1
    return SHORT.replace(body=tuple(paragraphs))


def all_text(messages: list[RenderedMessage]) -> str:
    """Everything a reader sees, in order."""
    parts: list[str] = []
    for msg in messages:
        parts.append(msg.content or "")
        for embed in msg.embeds:
            parts += [embed.author.name or "", embed.title or "", embed.description or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
            parts.append(embed.footer.text or "")
    return "\n".join(parts)


def assert_within_limits(messages: list[RenderedMessage]) -> None:
    for msg in messages:
        assert message_within_limits(msg) == []


def assert_in_order(words: list[str], text: str) -> None:
    position = 0
    for word in words:
        found = text.find(word, position)
        assert found >= 0, f"{word!r} missing or out of order"
        position = found + len(word)


# --------------------------------------------------------------------------- articles


def test_short_article_is_one_message_with_one_embed() -> None:
    [msg] = render_article(SHORT, story_id=12, agency_name="ClawNews")
    assert msg.content is None
    [embed] = msg.embeds
    assert embed.title == SHORT.headline
    assert embed.url is None
    assert embed.author.name == "ClawNews · story #12"
    assert embed.description is not None
    assert embed.description.startswith(SHORT.dek + "\n\n" + SHORT.body[0])
    assert "**Why It Matters**\nControls shape" in embed.description
    assert "**The Bottom Line**\nExpect slower deliveries." in embed.description
    assert (
        "**Sources**\n1. Commerce widens curbs - Reuters - https://reuters.com/a - 2026-11-17\n2. "
        in (embed.description)
    )
    assert embed.footer.text == SHORT.disclosure
    assert embed.colour == discord.Colour(0x1F6FEB)
    assert_within_limits([msg])


def test_20000_character_article_is_split_within_limits_losing_nothing() -> None:
    article = long_article(20_000)
    assert sum(map(len, article.body)) >= 20_000
    messages = render_article(article, story_id=1, agency_name="ClawNews")
    assert len(messages) > 1
    assert_within_limits(messages)
    text = all_text(messages)
    assert_in_order(" ".join(article.body).split(), text)
    assert_in_order([article.headline, article.dek, "Why It Matters", "The Bottom Line"], text)
    # nothing lost: the article text, whitespace aside, is exactly what is shown
    shown = "".join((e.description or "") for m in messages for e in m.embeds)
    expected = "".join([article.dek, *article.body])
    assert re.sub(r"\s+", "", shown).startswith(re.sub(r"\s+", "", expected))
    assert messages[-1].embeds[-1].footer.text == article.disclosure
    assert messages[0].embeds[0].title == article.headline
    assert all(e.title is None for m in messages for e in m.embeds[1:])


def test_messages_are_well_filled() -> None:
    messages = render_article(long_article(30_000), story_id=1, agency_name="ClawNews")
    totals = [sum(embed_char_count(e) for e in m.embeds) for m in messages]
    assert all(total > 4_000 for total in totals[:-1]), totals


def test_one_huge_paragraph_and_one_huge_word_are_split() -> None:
    article = SHORT.replace(body=("word " * 5_000 + "[1].", "z" * 9_000 + " [1]."))
    messages = render_article(article, story_id=1, agency_name="ClawNews")
    assert_within_limits(messages)
    text = all_text(messages)
    assert text.count("word") == 5_000
    assert text.count("z") - SHORT.headline.count("z") >= 9_000


def test_over_long_headline_is_shortened_in_the_title_and_given_in_full() -> None:
    headline = "Very long headline " * 20
    [msg] = render_article(SHORT.replace(headline=headline), story_id=1, agency_name="X")
    title = msg.embeds[0].title or ""
    assert len(title) <= LIMITS["embed_title"] and title.endswith("…")
    assert (msg.embeds[0].description or "").startswith(f"**{headline.strip()}**")


def test_disclosure_too_long_for_a_footer_goes_into_the_text() -> None:
    disclosure = "This article was written by an AI. " * 70
    messages = render_article(SHORT.replace(disclosure=disclosure), story_id=1, agency_name="X")
    assert_within_limits(messages)
    assert messages[-1].embeds[-1].footer.text is None
    assert disclosure.strip() in all_text(messages)


def test_article_without_disclosure_has_no_footer() -> None:
    [msg] = render_article(SHORT.replace(disclosure=""), story_id=1, agency_name="X")
    assert msg.embeds[-1].footer.text is None


def test_corrections_are_shown_first_in_a_marked_embed() -> None:
    corrections = [
        ("Correction, 24 Nov 2026", "An earlier version gave the wrong date. It is Tuesday.")
    ]
    messages = render_article(SHORT, story_id=5, agency_name="ClawNews", corrections=corrections)
    first = messages[0].embeds[0]
    assert first.title == "Correction"
    assert first.colour == discord.Colour(CORRECTION_COLOUR)
    assert (
        first.description
        == "**Correction, 24 Nov 2026**\nAn earlier version gave the wrong date. It is Tuesday."
    )
    assert messages[0].embeds[1].title == SHORT.headline
    assert len(messages) == 1
    assert_within_limits(messages)


@pytest.mark.parametrize("chars", [0, 3_000, 5_500, 20_000])
def test_a_correction_does_not_move_the_story_so_copies_can_be_edited_in_place(chars: int) -> None:
    article = long_article(chars) if chars else SHORT
    before = render_article(article, story_id=5, agency_name="ClawNews")
    note = [("Correction, 24 Nov 2026", "An earlier version misstated the threshold. " * 20)]
    after = render_article(article, story_id=5, agency_name="ClawNews", corrections=note)
    assert len(after) == len(before)
    assert after[0].embeds[0].title == "Correction"
    story_after = [after[0].embeds[1:], *(m.embeds for m in after[1:])]
    story_before = [m.embeds for m in before]
    assert [[e.to_dict() for e in embeds] for embeds in story_after] == [
        [e.to_dict() for e in embeds] for embeds in story_before
    ]
    assert_within_limits(after)


def test_several_long_corrections_stay_within_limits() -> None:
    corrections = [(f"Correction {i}", "It was wrong. " * 400) for i in range(3)]
    messages = render_article(
        long_article(8_000), story_id=5, agency_name="X", corrections=corrections
    )
    assert_within_limits(messages)
    assert messages[0].embeds[0].title == "Corrections (3)"
    text = all_text(messages)
    assert text.index("Correction 2") < text.index(SHORT.headline)


def test_rendering_inserts_no_mentions_and_escapes_nothing() -> None:
    article = SHORT.replace(body=("Use *stars* and _under_ scores, a <tag> and a 50% cut [1].",))
    text = all_text(render_article(article, story_id=1, agency_name="X"))
    assert "@" not in text
    assert "Use *stars* and _under_ scores, a <tag> and a 50% cut [1]." in text


# --------------------------------------------------------------------------- retractions


def test_retraction_notice() -> None:
    msg = render_retraction(
        7, SHORT.headline, "The main claim was false.", "24 Nov 2026", "ClawNews"
    )
    [embed] = msg.embeds
    assert embed.title == f"Retracted: {SHORT.headline}"
    assert "retracted this story on 24 Nov 2026" in (embed.description or "")
    assert "The main claim was false." in (embed.description or "")
    assert embed.footer.text == "ClawNews · story #7"
    assert message_within_limits(msg) == []


def test_long_retraction_reason_fits_one_message() -> None:
    reason = " ".join(f"reason{i}" for i in range(1_500))
    msg = render_retraction(7, "H" * 400, reason, "24 Nov 2026", "ClawNews")
    assert message_within_limits(msg) == []
    assert len(msg.embeds[0].title or "") <= LIMITS["embed_title"]
    assert "reason500" in all_text([msg])


# --------------------------------------------------------------------------- limits


def test_embed_char_count_matches_discord_py() -> None:
    embed = discord.Embed(title="t" * 10, description="d" * 20)
    embed.set_footer(text="f" * 30).set_author(name="a" * 5)
    embed.add_field(name="n" * 7, value="v" * 11)
    assert embed_char_count(embed) == len(embed) == 83


def test_message_within_limits_names_every_violation() -> None:
    big = discord.Embed(title="t" * 257, description="d" * 4_097)
    big.set_footer(text="f" * 2_049).set_author(name="a" * 257)
    for _ in range(26):
        big.add_field(name="n" * 257, value="v" * 1_025)
    problems = message_within_limits(RenderedMessage(content="c" * 2_001, embeds=[big] * 11))
    joined = "\n".join(problems)
    for needle in [
        "content has 2001",
        "11 embeds",
        "embed 1 title has 257",
        "embed 1 description has 4097",
        "embed 1 footer has 2049",
        "embed 1 author has 257",
        "embed 1 field 1 name has 257",
        "embed 1 field 1 value has 1025",
        "embed 1 has 26 fields",
        "embeds total",
    ]:
        assert needle in joined
    assert message_within_limits(RenderedMessage(content=None, embeds=[])) == ["message is empty"]
    assert message_within_limits(RenderedMessage(content="ok", embeds=[])) == []


# --------------------------------------------------------------------------- split_text


def random_text(rng: random.Random) -> str:
    words = [
        "a",
        "to",
        "U.S.",
        "3.5%",
        "word",
        "longerword",
        "x" * rng.randint(1, 40),
        "Dr.",
        "end.",
    ]
    separators = [" ", " ", " ", " ", "\n", "\n\n", ". ", "  "]
    return "".join(rng.choice(words) + rng.choice(separators) for _ in range(rng.randint(0, 300)))


def assert_split_properties(text: str, limit: int, pieces: list[str]) -> None:
    position = 0
    stripped = text.strip()
    for piece in pieces:
        assert piece and piece == piece.strip()
        assert len(piece) <= limit
        found = stripped.find(piece, position)
        assert found >= 0
        assert stripped[position:found].strip() == "", "only whitespace between pieces"
        position = found + len(piece)
        boundary_ok = position == len(stripped) or stripped[position].isspace()
        longest_word = max(len(w) for w in piece.split())
        assert boundary_ok or (len(piece) == limit and longest_word >= limit), "cut inside a word"
    assert stripped[position:].strip() == "", "nothing left over"


@pytest.mark.parametrize("seed", range(40))
def test_split_text_properties(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng)
    limit = rng.choice([5, 17, 40, 100, 1_000])
    assert_split_properties(text, limit, split_text(text, limit))


def test_split_text_prefers_paragraphs_then_sentences_then_words() -> None:
    text = "The first paragraph is a bit longer.\n\nSecond one. It has two sentences."
    assert split_text(text, 60) == [
        "The first paragraph is a bit longer.",
        "Second one. It has two sentences.",
    ]
    assert split_text("One sentence here. Two sentences here.", 30) == [
        "One sentence here.",
        "Two sentences here.",
    ]
    assert split_text("Dr. Lee said no. Then he left the room.", 25) == [
        "Dr. Lee said no.",
        "Then he left the room.",
    ]
    assert split_text("many small words in a row", 12) == ["many small", "words in a", "row"]


def test_split_text_does_not_cut_a_sliver_at_an_early_paragraph_break() -> None:
    """A paragraph break in the first half loses to a sentence break in the second half,
    so pieces (and embeds) stay well filled."""
    text = "Tiny.\n\nA much longer paragraph. It goes on and on for a while."
    assert split_text(text, 40) == [
        "Tiny.\n\nA much longer paragraph.",
        "It goes on and on for a while.",
    ]


def test_split_text_edges() -> None:
    assert split_text("", 10) == []
    assert split_text("  \n ", 10) == []
    assert split_text("short", 10) == ["short"]
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    with pytest.raises(ValueError):
        split_text("x", 0)
