"""Reliability: the permission matrix of every editorial command and button.

A reader of the home server (no roles) does not see the editorial commands (their
`default_member_permissions`; the editor role sees them because the server's admin gave
it the bot's commands under Integrations). Were an admin to show them to everyone, the
bot still refuses every one of them, ephemerally, and nothing changes: the command list
is a convenience, the role check the lock. Every editorial button refuses a reader,
also when a modified client crafts its custom id (another story's, another ticket's) on
a message the reader can see. Members of another server do not even see the editorial
commands (they are registered in the home server only), nor the editorial channel's
buttons. `/subscribe`, `/unsubscribe` and `/subscriptions` are hidden from members
without Manage Channels, and `/newsroom setup` refuses an editor without Manage Server.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import commands_shown_to_everyone, make_story, wait_for
from tests.e2e.test_publishing import story_posts
from tests.fakes.fake_anthropic import Refusal
from tests.fakes.fake_discord import CommandUnavailable, InteractionHandle
from tests.reliability.support import (
    alive,
    changed_text,
    find_button,
    refusal_problems,
    settle,
    story,
)

SOURCES = ("1) The harbour authority said container traffic fell 12 percent in October. "
           "2) The dockworkers' union said its members return to work on Wednesday.")
FORM = {"Headline": "Council approves harbour budget",
        "Dek (1-3 sentence summary)": "The council approved the harbour budget on Monday.",
        "Body (paragraphs, ## Why It Matters ...)": "The council voted 7 to 2 [1].",
        "Sources, one per line": "1. Council minutes - City of Eastham - 2026-11-23"}

# Every editorial command with options an editor could use right now: a refusal can
# only come from who is asking. "{key}" values are ids made by the session.
COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("draft request", {"topic": "Harbour strike ends", "sources": SOURCES}),
    ("draft write", {}),
    ("draft revise", {"story": "{in_review}", "instructions": "Shorter."}),
    ("draft edit", {"story": "{in_review}"}),
    ("draft show", {"story": "{in_review}"}),
    ("draft diff", {"story": "{in_review}"}),
    ("draft list", {}),
    ("draft retry", {"story": "{failed}"}),
    ("review approve", {"story": "{in_review}"}),
    ("review changes", {"story": "{in_review}", "reason": "Add a source."}),
    ("review spike", {"story": "{in_review}", "reason": "Dead."}),
    ("review checks", {"story": "{in_review}"}),
    ("publish schedule", {"story": "{approved}", "when": "next"}),
    ("publish unschedule", {"story": "{scheduled}"}),
    ("publish now", {"story": "{approved}"}),
    ("publish queue", {}),
    ("publish order", {"story": "{scheduled}", "position": 1}),
    ("publish deliveries", {"story": "{published}"}),
    ("triage list", {}),
    ("triage resolve", {"ticket": "{ticket}", "action": "dismiss"}),
    ("newsroom setup", {"timezone": "Europe/Berlin"}),
    ("newsroom status", {}),
    ("newsroom stats", {}),
    ("correct", {"story": "{published}", "kind": "correction", "text": "It was 6 to 3."}),
    ("retract", {"story": "{published}", "reason": "The ruling was reversed."}),
]
OUTSIDERS = ("reader2", "admin2")  # members of the other server only
BUTTONS = ["newsroom:card:approve:{in_review}", "newsroom:card:changes:{in_review}",
           "newsroom:card:edit:{in_review}", "newsroom:card:spike:{in_review}",
           "newsroom:card:retry:{failed}", "newsroom:ticket:accept:{ticket}",
           "newsroom:ticket:dismiss:{ticket}", "newsroom:ticket:reply:{ticket}"]


def fill(options: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    return {k: int(v.format(**ids)) if isinstance(v, str) and v.startswith("{") else v
            for k, v in options.items()}


async def written(room: Newsroom) -> int:
    """A human draft through `/draft write`: its card has Approve/Changes/Edit/Spike."""
    form = await room.invoke("editor1", "draft write")
    done = await room.discord.submit_modal("editor1", form, FORM)
    await done.wait_final()
    found = re.search(r"Story #(\d+) is in review", done.text())
    assert found, done.text()
    return int(found.group(1))


async def failed_draft(room: Newsroom) -> int:
    """An AI draft Claude declines: its card has Retry."""
    room.claude.script(Refusal())
    handle = await room.invoke("editor1", "draft request",
                               {"topic": "Harbour strike ends", "sources": SOURCES})
    await handle.wait_final(lambda m: "failed" in (m.get("content") or ""))
    found = re.search(r"Drafting #(\d+) failed", handle.text())
    assert found, handle.text()
    return int(found.group(1))


async def published_with_a_failed_delivery(room: Newsroom) -> int:
    """Published to the announcement channel and to a subscriber that shut the bot out."""
    other = room.discord.world.other_guild_id
    handle = await room.invoke("admin2", "subscribe", {"channel": room.channel("news")},
                               guild=other, channel=room.channel("news"))
    await handle.wait_final()
    assert "Subscribed" in handle.text(), handle.text()
    room.discord.deny_bot("news")
    room.bot.courier.lost_access_for = timedelta(0)  # disabled at once, not after a day
    story_id = await make_story(room, "approved")
    await room.invoke("editor1", "publish now", {"story": story_id})

    async def failed() -> bool:
        return any(d.state == "failed" for d in await room.bot.store.outbox.deliveries(story_id))
    await wait_for(failed, timeout=15)
    return story_id


async def reader_ticket(room: Newsroom, story_id: int) -> int:
    handle = await room.invoke("reader", "feedback", {"story": story_id, "kind": "tip",
                                                      "text": "There is a second lawsuit."})
    found = re.search(r"ticket #(\d+)", handle.text())
    assert found, handle.text()
    return int(found.group(1))


async def session(room: Newsroom) -> dict[str, int]:
    ids = {"in_review": await written(room), "failed": await failed_draft(room)}
    ids["published"] = await published_with_a_failed_delivery(room)
    ids["ticket"] = await reader_ticket(room, ids["published"])
    ids["approved"] = await story("approved")(room)
    ids["scheduled"] = await story("scheduled")(room)
    await settle(room)
    return ids


async def refused(room: Newsroom, label: str, act: Any, expect: str) -> list[str]:
    """Run `act()` (an interaction) and check the refusal changed and pinged nothing."""
    before_db, before_seen = room.db(), room.visible()
    try:
        handle: InteractionHandle = await act()
        await handle.wait_response()
        if handle.modal is not None:
            return [f"{label}: a form opened instead of a refusal"]
        await handle.wait_final()
    except Exception as exc:  # noqa: BLE001 - reported with the others
        return [f"{label}: {type(exc).__name__}: {exc}"]
    problems = [f"{label}: {p}" for p in refusal_problems(handle, expect)]
    if (stuck := await alive(room)) is not None:
        problems.append(f"{label}: {stuck}")
    if room.db() != before_db:
        problems.append(f"{label}: refused, yet the database changed")
    if room.visible() != before_seen:
        problems.append(f"{label}: refused, yet a channel changed: "
                        f"{changed_text(before_seen, room.visible())!r:.300}")
    if room.discord.pings():
        problems.append(f"{label}: something pinged")
    return problems


async def hidden(label: str, invoke: Any) -> list[str]:
    """The command must not be offered at all (the fake refuses to build the call)."""
    try:
        await invoke()
    except CommandUnavailable:
        return []
    return [f"{label}: offered, though Discord would hide it"]


async def test_editorial_commands_are_hidden_from_readers_and_refused_when_shown(
        newsroom: Newsroom) -> None:
    ids = await session(newsroom)
    fake, other = newsroom.discord, newsroom.discord.world.other_guild_id
    problems, checks = [], 0
    for command, options in COMMANDS:
        values = fill(options, ids)
        problems += await hidden(f"reader /{command}",
                                 lambda c=command, v=values: fake.invoke("reader", c, v))
        checks += 1
        for outsider in OUTSIDERS:
            with pytest.raises(CommandUnavailable):
                await fake.invoke(outsider, command, values, guild=other)
            checks += 1
    with commands_shown_to_everyone(newsroom):
        for command, options in COMMANDS:
            values = fill(options, ids)
            problems += await refused(
                newsroom, f"reader /{command} (shown to everyone)",
                lambda c=command, v=values: fake.invoke("reader", c, v), "editor")
            checks += 1
    print(f"permission matrix, commands: {checks} checks, {len(problems)} problem(s)")
    assert checks == 4 * len(COMMANDS)
    assert problems == [], "\n".join(problems)


async def test_editorial_buttons_refuse_non_editors(newsroom: Newsroom) -> None:
    ids = await session(newsroom)
    fake = newsroom.discord
    problems, checks = [], 0
    for template in BUTTONS:
        custom_id = template.format(**ids)
        try:
            message = find_button(newsroom, custom_id)
        except LookupError as exc:  # an earlier click went through and changed the card
            problems.append(str(exc))
            continue
        problems += await refused(
            newsroom, f"reader clicks {custom_id}",
            lambda m=message, c=custom_id: fake.click("reader", m, c), "Only editors")
        checks += 1
        for outsider in OUTSIDERS:  # the editorial and feedback channels are not theirs
            with pytest.raises(ValueError, match="cannot see channel"):
                await fake.click(outsider, message, custom_id)
            checks += 1
    problems += await redeliver_refusals(newsroom, ids["published"])
    checks += 2
    print(f"permission matrix, buttons: {checks} checks, {len(problems)} problem(s)")
    assert problems == [], "\n".join(problems)


FORGED = [*BUTTONS, "newsroom:redeliver:{published}", "newsroom:card:approve:{approved}",
          "newsroom:card:spike:{scheduled}"]


def planted(room: Newsroom, custom_ids: list[str]) -> dict[str, Any]:
    """A message of the bot's in #general whose buttons carry `custom_ids`: as if cards
    were once posted where readers are (the editorial channel used to be #general)."""
    rows = [{"type": 1, "components": [{"type": 2, "style": 2, "label": c[-40:],
                                        "custom_id": c} for c in custom_ids[i:i + 5]]}
            for i in range(0, len(custom_ids), 5)]
    return room.discord.post_as_user("bot", "general", "Old cards", components=rows)


async def test_crafted_button_ids_are_refused_to_non_editors(newsroom: Newsroom) -> None:
    """Buttons naming any story or ticket, pressed by a reader: refused, nothing changes.
    A request crafted with an id its message does not carry is not even acted on."""
    ids = await session(newsroom)
    fake = newsroom.discord
    unpublished = ids["in_review"]
    custom_ids = [t.format(**ids) for t in FORGED]
    own = [f"newsroom:sources:{unpublished}", f"newsroom:report:{unpublished}"]
    message = planted(newsroom, custom_ids + own)
    problems = []
    for custom_id in custom_ids:
        problems += await refused(newsroom, f"reader presses {custom_id}",
                                  lambda c=custom_id: fake.click("reader", message, c),
                                  "Only editors")
    problems += await refused(newsroom, "reader asks the sources of an unpublished story",
                              lambda: fake.click("reader", message, own[0]),
                              f"no published story #{unpublished}")
    before = newsroom.db()
    form = await fake.click("reader", message, own[1])
    await form.wait_response()
    sent = await fake.submit_modal("reader", form, {"What is wrong or unclear?": "x"})
    await sent.wait_final()
    problems += refusal_problems(sent, f"no published story #{unpublished}")
    if newsroom.db() != before:
        problems.append("a report on an unpublished story changed the database")
    problems += await crafted_requests(newsroom, ids["published"], custom_ids)
    print(f"permission matrix, crafted ids: {2 * len(custom_ids) + 2} checks, "
          f"{len(problems)} problem(s)")
    assert problems == [], "\n".join(problems)


async def crafted_requests(room: Newsroom, story_id: int, custom_ids: list[str]) -> list[str]:
    """Ids sent on a published post that does not carry them (a modified client):
    discord.py matches a persistent button only against its message, so none acts."""
    post = story_posts(room, "announcements", story_id)
    before_db, before_seen = room.db(), room.visible()
    handles = [await room.discord.click("reader", post[0], c, forged=True) for c in custom_ids]
    problems = []
    for custom_id, handle in zip(custom_ids, handles, strict=True):
        with contextlib.suppress(TimeoutError):
            await handle.wait_response(timeout=0.5)
            problems.append(f"crafted {custom_id}: answered {handle.text()!r}")
    if room.db() != before_db or room.visible() != before_seen:
        problems.append("a crafted request changed something")
    return problems


async def redeliver_refusals(room: Newsroom, story_id: int) -> list[str]:
    """The delivery log is an editor's ephemeral answer: only they can click its button,
    so the one non-editor who can is an editor who lost the role since."""
    fake = room.discord
    log = await room.invoke("editor2", "publish deliveries", {"story": story_id})
    custom_id = f"newsroom:redeliver:{story_id}"
    if custom_id not in str(log.original):
        return [f"no redeliver button on the delivery log: {log.text()!r}"]
    with pytest.raises(ValueError, match="ephemeral"):
        await fake.click("reader", log, custom_id)
    member = fake.world.member(fake.world.home_guild_id, room.user("editor2"))
    member.roles.remove(fake.world.editor_role_id)
    try:
        return await refused(room, "former editor clicks redeliver",
                             lambda: fake.click("editor2", log, custom_id), "Only editors")
    finally:
        member.roles.append(fake.world.editor_role_id)


async def test_server_permissions_gate_subscribe_and_setup(newsroom: Newsroom) -> None:
    fake, other = newsroom.discord, newsroom.discord.world.other_guild_id
    news, general = newsroom.channel("news"), newsroom.channel("general")
    problems = []
    for user, guild, channel in (("reader2", other, news), ("reader", None, general)):
        for command in ("subscribe", "unsubscribe"):
            problems += await hidden(f"{user} /{command}", lambda u=user, c=command, g=guild,
                               ch=channel: fake.invoke(u, c, {"channel": ch}, guild=g,
                                                       channel=ch))
        problems += await hidden(f"{user} /subscriptions", lambda u=user, g=guild, ch=channel:
                                 fake.invoke(u, "subscriptions", {}, guild=g, channel=ch))
    problems += await refused(
        newsroom, "editor /newsroom setup",
        lambda: fake.invoke("editor1", "newsroom setup", {"timezone": "Europe/Berlin"}),
        "Manage Server")
    print(f"permission matrix, server permissions: 7 checks, {len(problems)} problem(s)")
    assert problems == [], "\n".join(problems)
