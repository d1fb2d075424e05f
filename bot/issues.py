"""The masthead of an issue: what readers see before the stories of an edition.

One message: the author line "ClawNews · issue #42" (the label that lets a masthead be
found in a channel after a crash, as "story #12" does for a story's parts), the title
"Issue 42 · Thursday 4 December 2026 · Morning", and the contents: each story's
headline, linking to the story (its copy in this channel once it landed, or its page in
the public archive), and a one-line dek. A retracted story stays in the contents,
struck through, with "retracted" beside it (and no dek: its text is withdrawn).

`/archive issue` shows the same contents (`contents_embeds`), linking to the archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import discord

from bot.notices import jump_url
from bot.prose import split_sentences
from bot.render import LIMITS, RenderedMessage, take_text
from storage.issues import Issue, IssueEntry, Masthead
from storage.states import State

MASTHEAD_COLOUR = 0x0B7285
DEK_LINE = 160
"""Characters of the dek shown under a headline (its first sentence when that fits)."""
_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")

Link = Callable[[IssueEntry], str | None]


def label(agency: str, number: int) -> str:
    """The masthead's author line; `bot.copies.part_index` recognises it."""
    return f"{agency} · issue #{number}"


def plain(text: str) -> str:
    """Text shown as itself in Markdown (a headline inside a link, struck, bold)."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def dek_line(dek: str) -> str:
    """The dek on one line: all of it when short, else its first sentence, else cut at a
    word with '…' (the whole dek is one click away)."""
    flat = " ".join(dek.split())
    if len(flat) <= DEK_LINE:
        return flat
    first = split_sentences(flat)[0]
    if len(first) <= DEK_LINE:
        return first
    head, _ = take_text(flat, DEK_LINE - 1)
    return head + "…"


def entry_text(entry: IssueEntry, link: str | None, with_dek: bool = True) -> str:
    headline = plain(entry.headline) or f"Story {entry.story_id}"
    if entry.retracted:
        word = State.RETRACTED.label
        mark = f"[{word}]({link})" if link else word
        return f"{entry.position}. ~~{headline}~~ · {mark}"
    title = f"[{headline}]({link})" if link else headline
    line = f"**{entry.position}. {title}**"
    dek = dek_line(entry.dek) if with_dek else ""
    return f"{line}\n{dek}" if dek else line


def _pack(lines: list[str], room: int) -> list[str] | None:
    """Lines into embed descriptions, within `room` characters in all; None if too long."""
    pieces: list[str] = []
    for line in lines:
        if pieces and len(pieces[-1]) + 2 + len(line) <= LIMITS["embed_description"]:
            pieces[-1] += "\n\n" + line
        else:
            pieces.append(line[:LIMITS["embed_description"]])
    fits = sum(len(p) for p in pieces) <= room and len(pieces) <= LIMITS["embeds"]
    return pieces if fits else None


def contents(issue: Issue, link: Link, room: int) -> list[str]:
    """The contents as embed descriptions: with deks if they fit, else headlines only,
    else as many as fit and a line saying where the rest is."""
    for with_dek in (True, False):
        lines = [entry_text(e, link(e), with_dek) for e in issue.entries]
        packed = _pack(lines, room)
        if packed is not None:
            return packed
    lines = [entry_text(e, link(e), False) for e in issue.entries]
    for keep in range(len(lines) - 1, 0, -1):
        rest = len(lines) - keep
        tail = f"… and {rest} more: `/archive issue {issue.number}`"
        packed = _pack([*lines[:keep], tail], room)
        if packed is not None:
            return packed
    return [lines[0][:room]] if lines else []


def footer(issue: Issue) -> str:
    count = len(issue.entries)
    return f"{count} {'story' if count == 1 else 'stories'} · /archive issue {issue.number}"


def render_masthead(issue: Issue, agency: str, link: Link) -> RenderedMessage:
    """The masthead message (see the module docstring)."""
    author, title, foot = label(agency, issue.number), issue.heading, footer(issue)
    room = LIMITS["embed_total"] - len(author) - len(title) - len(foot)
    embeds = []
    for index, text in enumerate(contents(issue, link, room)):
        embed = discord.Embed(description=text, colour=MASTHEAD_COLOUR)
        if index == 0:
            embed.title = title
            embed.set_author(name=author)
        embeds.append(embed)
    if not embeds:
        embeds.append(discord.Embed(title=title, colour=MASTHEAD_COLOUR).set_author(name=author))
    embeds[-1].set_footer(text=foot)
    return RenderedMessage(content=None, embeds=embeds)


def masthead_links(masthead: Masthead) -> Link:
    """Where a channel's masthead links each story: the public archive when the issue
    went out with one, else the story's copy in this very channel once it landed."""
    issue = masthead.issue

    def link(entry: IssueEntry) -> str | None:
        if issue.link_base:
            return f"{issue.link_base}/stories/{entry.story_id}"
        if entry.message_id is None:
            return None
        return jump_url(masthead.guild_id, masthead.channel_id, entry.message_id)

    return link


def contents_embeds(issue: Issue, agency: str, story_url: Callable[[int], str | None]
                    ) -> list[discord.Embed]:
    """`/archive issue`: the same contents, linking to the public archive when there is
    one (else naming the stories for `/archive story`)."""
    def link(entry: IssueEntry) -> str | None:
        return story_url(entry.story_id)

    embeds = render_masthead(issue, agency, link).embeds
    if not any(story_url(e.story_id) for e in issue.entries):
        numbers = ", ".join(str(e.story_id) for e in issue.entries)
        embeds[-1].set_footer(text=f"{footer(issue)} · /archive story {numbers}"[:2048])
    return embeds
