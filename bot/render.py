"""Turn an article into Discord messages, within every Discord limit, losing nothing.

The result is plain data (`RenderedMessage`) holding discord.py `Embed`s; sending, editing
and `allowed_mentions` are the publisher's business. Layout of an article:

- first, when there are corrections, an amber "Correction(s)" embed, so a reader sees the
  note before the story. Room for it is always kept in the first message, so adding a
  correction moves none of the story's text and delivered copies can be edited in place;
- then the story: the first embed has the headline as title and "agency · story #id" as
  author; the description flows dek, body, "Why It Matters", "The Bottom Line" and the
  numbered sources, continuing over further embeds of the message and then further
  messages (at most 10 embeds and 6,000 characters per message);
- the disclosure in the footer of the last embed, or as the last paragraph when it is too
  long for a footer.

Nothing is truncated: every character of the article appears in some embed. Text is cut
only between paragraphs, sentences or words (see `split_text`). Lengths are counted in
code points, as Discord's API counts them (discord-api-docs#1315). The renderer inserts no
mentions and escapes nothing, so the text means what the editors approved.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from bot.article import BOTTOM_LINE, SOURCES, WHY_IT_MATTERS, Article
from bot.prose import sentence_gaps

log = logging.getLogger(__name__)

LIMITS: dict[str, int] = {
    "content": 2000,
    "embed_title": 256,
    "embed_description": 4096,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "fields": 25,
    "embed_total": 6000,  # across all embeds of one message
    "embeds": 10,
}
"""Discord's message and embed limits, in characters (code points) or counts."""

CORRECTION_COLOUR = 0xD29922
RETRACTION_COLOUR = 0xDA3633
_MIN_PIECE = 400
"""Start a new message rather than put a sliver of fewer characters at the end of one."""
LABEL_ROOM = 120
"""Characters kept free in every message for its part label (see `part_label`)."""
CORRECTION_ROOM = 1200
"""Characters kept free in an article's first message for a correction note added later."""


@dataclass
class RenderedMessage:
    """One Discord message to send (or to edit a delivered copy into)."""

    content: str | None
    embeds: list[discord.Embed] = field(default_factory=list)


# --------------------------------------------------------------------------- splitting

_PARAGRAPH_GAP_RE = re.compile(r"\n[ \t]*\n\s*")
_LINE_GAP_RE = re.compile(r"[ \t]*\n\s*")
_WORD_GAP_RE = re.compile(r"\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, at the best boundary.

    Boundaries are tried in order paragraph, sentence, line, word; a word is cut only when
    it alone exceeds the limit. Each piece is a slice of the stripped text and only the
    whitespace at a cut is dropped, so joining the pieces with that whitespace restores
    the text exactly: nothing is ever lost.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        head, rest = take_text(rest, limit)
        pieces.append(head)
    return pieces


def take_text(text: str, limit: int) -> tuple[str, str]:
    """The first piece of `split_text(text, limit)` and the stripped remainder."""
    text = text.strip()
    if len(text) <= limit:
        return text, ""
    start, end = _best_gap(text, limit)
    return text[:start].rstrip(), text[end:].lstrip()


def _best_gap(text: str, limit: int) -> tuple[int, int]:
    """(start, end) of the whitespace to cut at, so that text[:start] fits in `limit`.

    A gap in the second half of the window wins at the coarsest level that has one, so
    pieces stay large; with none there, the coarsest gap anywhere; failing all, a hard cut.
    """
    window = text[: limit + 1]
    levels = [
        _regex_gaps(_PARAGRAPH_GAP_RE, window),
        sentence_gaps(window),
        _regex_gaps(_LINE_GAP_RE, window),
        _regex_gaps(_WORD_GAP_RE, window),
    ]
    fitting = [[g for g in gaps if 0 < g[0] <= limit] for gaps in levels]
    for gaps in fitting:
        if gaps and gaps[-1][0] >= limit // 2:
            return gaps[-1]
    for gaps in fitting:
        if gaps:
            return gaps[-1]
    log.debug("no whitespace in the first %d characters; cutting inside a word", limit)
    return limit, limit


def _regex_gaps(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


# --------------------------------------------------------------------------- limits


def embed_char_count(embed: discord.Embed) -> int:
    """Characters that count towards the 6,000 limit: title, description, field names and
    values, footer text and author name (what Discord counts, nothing else)."""
    total = len(embed.title or "") + len(embed.description or "")
    total += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return total + len(embed.footer.text or "") + len(embed.author.name or "")


def message_within_limits(msg: RenderedMessage) -> list[str]:
    """Every limit the message breaks, as readable strings; empty when it can be sent."""
    problems: list[str] = []
    if msg.content is not None and len(msg.content) > LIMITS["content"]:
        problems.append(f"content has {len(msg.content)} characters (limit {LIMITS['content']})")
    if not msg.content and not msg.embeds:
        problems.append("message is empty")
    if len(msg.embeds) > LIMITS["embeds"]:
        problems.append(f"{len(msg.embeds)} embeds (limit {LIMITS['embeds']})")
    for i, embed in enumerate(msg.embeds, 1):
        problems += [f"embed {i} {p}" for p in _embed_problems(embed)]
    total = sum(embed_char_count(e) for e in msg.embeds)
    if total > LIMITS["embed_total"]:
        problems.append(f"embeds total {total} characters (limit {LIMITS['embed_total']})")
    return problems


def _embed_problems(embed: discord.Embed) -> list[str]:
    """Per-embed limit violations."""
    sized = [
        ("title", embed.title, "embed_title"),
        ("description", embed.description, "embed_description"),
        ("footer", embed.footer.text, "footer"),
        ("author", embed.author.name, "author"),
    ]
    for i, f in enumerate(embed.fields, 1):
        sized += [
            (f"field {i} name", f.name, "field_name"),
            (f"field {i} value", f.value, "field_value"),
        ]
    problems = [
        f"{what} has {len(text)} characters (limit {LIMITS[key]})"
        for what, text, key in sized
        if text and len(text) > LIMITS[key]
    ]
    if len(embed.fields) > LIMITS["fields"]:
        problems.append(f"has {len(embed.fields)} fields (limit {LIMITS['fields']})")
    if embed_char_count(embed) == 0:
        problems.append("is empty")
    return problems


# --------------------------------------------------------------------------- articles


@dataclass
class _Block:
    """A run of text laid out as embeds; the first embed carries title and author."""

    text: str
    colour: int
    title: str | None = None
    author: str | None = None
    url: str | None = None


def render_article(
    article: Article,
    *,
    story_id: int,
    agency_name: str,
    corrections: Sequence[tuple[str, str]] = (),
    colour: int = 0x1F6FEB,
    url: str | None = None,
    label: str | None = None,
) -> list[RenderedMessage]:
    """The messages that publish `article` (layout in the module docstring).

    `corrections` are (label, text) pairs, e.g. ("Correction, 24 Nov 2026", "An earlier
    version..."), shown first. The first message always keeps `CORRECTION_ROOM` free, so
    a correction note of that size is added without moving any of the story's text: a
    delivered copy is corrected by editing its messages in place, same count, same order.
    A longer note reflows the story. `url` (the story's public page) links the title;
    `label` ("Breaking") goes in the author line: "ClawNews · Breaking · story #12".
    """
    footer = article.disclosure.strip()
    in_footer = bool(footer) and len(footer) <= LIMITS["footer"]
    masthead = f"{agency_name} · {label}" if label else agency_name
    story = _article_block(article, story_id, masthead, colour, in_footer)
    story.url = url
    reserve = (len(footer) if in_footer else 0) + LABEL_ROOM
    messages = _pack([story], reserve=reserve, first_room=CORRECTION_ROOM)
    if corrections:
        note = _pack([_corrections_block(corrections)], reserve=0)
        first = RenderedMessage(None, [*note[0].embeds, *messages[0].embeds])
        if len(note) == 1 and _fits(first, reserve):
            messages[0] = first
        else:
            log.info("correction note of story %s is long; the story is reflowed", story_id)
            messages = _pack([_corrections_block(corrections), story], reserve=reserve)
    if in_footer:
        messages[-1].embeds[-1].set_footer(text=footer)
    _label_continuations(messages, story.author or "")
    return messages


def part_label(story_author: str, index: int, count: int) -> str:
    """The author line of a continuation message: 'ClawNews · story #12 · continued (2/3)'."""
    return _shorten(f"{story_author} · continued ({index + 1}/{count})", LABEL_ROOM)


def _label_continuations(messages: list[RenderedMessage], story_author: str) -> None:
    """Every message of a story says which story and part it is, so a copy's parts can
    be found in a channel after a crash (and a reader knows what they are reading)."""
    for index, message in enumerate(messages[1:], start=1):
        first = message.embeds[0]
        label = part_label(story_author, index, len(messages))
        if first.author.name is None:
            first.set_author(name=label)


def _fits(message: RenderedMessage, reserve: int) -> bool:
    """Whether the message keeps every limit with `reserve` characters still to come."""
    total = sum(embed_char_count(e) for e in message.embeds) + reserve
    return not message_within_limits(message) and total <= LIMITS["embed_total"]


def _article_block(
    article: Article, story_id: int, agency_name: str, colour: int, disclosure_in_footer: bool
) -> _Block:
    """The story as one stream of text with a title; an over-long headline is shortened
    in the title and given in full at the top of the text."""
    paragraphs = [article.dek, *article.body]
    title = " ".join(article.headline.split())
    if len(title) > LIMITS["embed_title"]:
        paragraphs.insert(0, f"**{title}**")
        title = _shorten(title, LIMITS["embed_title"])
    for name, text in (
        (WHY_IT_MATTERS, article.why_it_matters),
        (BOTTOM_LINE, article.bottom_line),
    ):
        if text.strip():
            paragraphs.append(f"**{name}**\n{text.strip()}")
    if article.sources:
        lines = (f"{i}. {s.line()}" for i, s in enumerate(article.sources, 1))
        paragraphs.append(f"**{SOURCES}**\n" + "\n".join(lines))
    if article.disclosure.strip() and not disclosure_in_footer:
        paragraphs.append(article.disclosure.strip())
    author = _shorten(f"{agency_name} · story #{story_id}", LIMITS["author"])
    text = "\n\n".join(p.strip() for p in paragraphs if p.strip())
    return _Block(text=text, colour=colour, title=title or None, author=author)


def _corrections_block(corrections: Sequence[tuple[str, str]]) -> _Block:
    """The corrections note, one labelled paragraph per correction."""
    text = "\n\n".join(f"**{label.strip()}**\n{body.strip()}" for label, body in corrections)
    title = "Correction" if len(corrections) == 1 else f"Corrections ({len(corrections)})"
    return _Block(text=text, colour=CORRECTION_COLOUR, title=title)


def _pack(blocks: list[_Block], *, reserve: int, first_room: int = 0) -> list[RenderedMessage]:
    """Lay the blocks out as embeds, filling each message up to Discord's limits.

    `reserve` characters are kept free in every message for the footer, which goes on
    whichever embed turns out to be last; `first_room` characters and one embed slot are
    kept free in the first message (for a correction note).
    """
    messages = [RenderedMessage(content=None, embeds=[])]
    for block in blocks:
        rest, first = block.text, True
        while first or rest:
            title, author = (block.title, block.author) if first else (None, None)
            current = messages[-1]
            held = first_room if len(messages) == 1 else 0
            used = sum(embed_char_count(e) for e in current.embeds) + reserve + held
            room = LIMITS["embed_total"] - used - len(title or "") - len(author or "")
            budget = min(LIMITS["embed_description"], room)
            slots = LIMITS["embeds"] - bool(held)
            if current.embeds and (
                len(current.embeds) >= slots or budget < min(len(rest) + 1, _MIN_PIECE)
            ):
                messages.append(RenderedMessage(content=None, embeds=[]))
                continue
            piece, rest = take_text(rest, budget)
            current.embeds.append(_embed(block, title, author, piece))
            first = False
    return messages


def _embed(block: _Block, title: str | None, author: str | None, text: str) -> discord.Embed:
    embed = discord.Embed(title=title, description=text or None, colour=block.colour,
                          url=block.url if title else None)
    if author:
        embed.set_author(name=author)
    return embed


def _shorten(text: str, limit: int) -> str:
    """Shorten at a word for a label that has a limit; only used where the full text is
    shown elsewhere or is not article text."""
    if len(text) <= limit:
        return text
    head, _ = take_text(text, limit - 1)
    return head + "…"


# --------------------------------------------------------------------------- retractions


def render_retraction(
    story_id: int, headline: str, reason: str, date_label: str, agency_name: str
) -> RenderedMessage:
    """The notice that replaces every delivered copy of a retracted story: one message.

    A reason too long for the description continues in fields; beyond what one message
    can hold it is cut with a visible "…" (and a warning logged), since a retraction
    notice must fit in the message it replaces.
    """
    title = _shorten(f"Retracted: {' '.join(headline.split())}", LIMITS["embed_title"])
    footer = _shorten(f"{agency_name} · story #{story_id}", LIMITS["footer"])
    text = (
        f"{agency_name} retracted this story on {date_label}. "
        f"It should not be relied on.\n\n**Reason**\n{reason.strip()}"
    )
    room = LIMITS["embed_total"] - len(title) - len(footer) - _FIELD_NAME_SLACK
    if len(text) > room:
        log.warning("retraction reason of story %s cut to fit one message", story_id)
        text = _shorten(text, room)
    embed = discord.Embed(title=title, colour=RETRACTION_COLOUR)
    embed.set_footer(text=footer)
    embed.description, rest = take_text(text, LIMITS["embed_description"])
    while rest:
        value, rest = take_text(rest, LIMITS["field_value"])
        embed.add_field(name="Reason (continued)", value=value, inline=False)
    return RenderedMessage(content=None, embeds=[embed])


_FIELD_NAME_SLACK = 100
"""Room kept for the names of the few "Reason (continued)" fields a long reason needs."""
