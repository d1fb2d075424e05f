"""Issue 4: approval rules, checks with overrides, and the audit trail, end to end."""

from __future__ import annotations

import itertools

from bot.lifecycle import Action, State
from tests.bot.test_lifecycle import expected
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import commands_shown_to_everyone, make_story, thread_texts, wait_for

ACTIONS = {
    Action.APPROVE: ("review approve", {}),
    Action.REQUEST_CHANGES: ("review changes", {"reason": "Needs a second source."}),
    Action.SPIKE: ("review spike", {"reason": "Story is dead."}),
}
STATES = [s for s in State]
# who -> (user, lifecycle role in the table)
ACTORS = {"editor": ("editor2", "editor"), "second editor": ("editor3", "editor"),
          "requester": ("editor1", "requester"), "non-editor": ("reader", "non-editor")}


async def run_matrix(room: Newsroom, self_approval: bool) -> list[str]:
    problems = []
    for action, state, who in itertools.product(ACTIONS, STATES, ACTORS):
        user, role = ACTORS[who]
        if self_approval and role == "requester":
            role = "editor"
        story_id = await make_story(room, state.value)
        command, extra = ACTIONS[action]
        before_db, before_seen = room.db(), room.visible()
        with commands_shown_to_everyone(room):  # the reader reaches the bot's own check
            handle = await room.invoke(user, command, {"story": story_id, **extra})
        await handle.wait_final()
        want = expected(action, state, role)
        status = (await room.bot.store.stories.get(story_id)).status
        label = f"{action.value} on {state.value} by {who}"
        if not handle.ephemeral:
            problems.append(f"{label}: answer not ephemeral")
        if want is None:
            if room.db() != before_db or room.visible() != before_seen:
                problems.append(f"{label}: refused but something changed")
            if status != state.value:
                problems.append(f"{label}: refused but status is {status}")
        elif status != want.value:
            problems.append(f"{label}: expected {want.value}, got {status}: {handle.text()}")
    return problems


async def test_review_actions_by_state_and_member(newsroom: Newsroom) -> None:
    assert await run_matrix(newsroom, self_approval=False) == []


async def test_review_matrix_with_self_approval(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_ALLOW_SELF_APPROVAL="true")
    assert await run_matrix(newsroom, self_approval=True) == []


async def test_two_approvals_end_to_end(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_REQUIRED_APPROVALS=2, NEWSROOM_ALLOW_SELF_APPROVAL="true")
    story = await make_story(newsroom)
    first = await newsroom.invoke("editor2", "review approve", {"story": story})
    assert "1 of 2 approvals; 1 more needed" in first.text()
    again = await newsroom.invoke("editor2", "review approve", {"story": story})
    assert again.ephemeral and "already approved revision 1; it has 1 of 2" in again.text()
    second = await newsroom.invoke("editor1", "review approve", {"story": story})
    assert "ready to schedule (2 of 2 approvals)" in second.text()
    assert (await newsroom.bot.store.stories.get(story)).status == "approved"


async def test_failing_checks_block_approval_until_overridden(newsroom: Newsroom) -> None:
    story = await make_story(newsroom, name="dek_cut_off.md")
    before = newsroom.db()
    refused = await newsroom.invoke("editor2", "review approve", {"story": story})
    assert refused.ephemeral and "Approval blocked" in refused.text()
    assert "dek_complete" in refused.text()
    assert newsroom.db() == before
    checks = await newsroom.invoke("editor2", "review checks", {"story": story})
    assert "dek_complete" in checks.text() and "✗" in checks.text()
    ok = await newsroom.invoke("editor2", "review approve",
                               {"story": story, "override": "Dek fixed in the print edition."})
    assert "Override recorded" in ok.text()
    history = await newsroom.bot.store.review.history(story)
    assert [e.action for e in history][-2:] == ["override", "approve"]
    assert history[-2].detail == "Dek fixed in the print edition."


async def test_card_thread_carries_the_audit_trail(newsroom: Newsroom) -> None:
    write = await newsroom.invoke("editor1", "draft write")
    assert write.modal is not None
    done = await newsroom.discord.submit_modal("editor1", write, {
        "Headline": "Council approves harbour budget",
        "Dek (1-3 sentence summary)": "The council approved the harbour budget on Monday.",
        "Body (paragraphs, ## Why It Matters ...)": (
            "The council voted 7 to 2 for the budget [1].\n\n"
            "The harbour master said repairs start in March [1]."),
        "Sources, one per line": "1. Council minutes - City of Eastham - 2026-11-23",
    })
    await done.wait_final()
    assert "is in review" in done.text()
    story = await newsroom.bot.store.stories.get(1)
    assert story.thread_id and story.card_message_id
    card = newsroom.discord.message(newsroom.channel("editorial"), story.card_message_id)
    click = await newsroom.discord.click("editor2", card, "newsroom:card:approve:1")
    await click.wait_response()
    texts = await wait_for(lambda: [t for t in thread_texts(newsroom, story.thread_id)
                                    if "approved revision 1" in t])
    assert texts
    changes = await newsroom.discord.click("editor2", card, "newsroom:card:changes:1")
    await changes.wait_response()
    assert changes.modal is not None
    submitted = await newsroom.discord.submit_modal("editor2", changes,
                                                    {"What should change?": "Add the vote."})
    await submitted.wait_final()
    await wait_for(lambda: any("requested changes: Add the vote." in t
                               for t in thread_texts(newsroom, story.thread_id)))
    show = await newsroom.invoke("editor1", "draft show", {"story": 1})
    await show.wait_followups(1)
    assert "write by" in show.text() and "approve by" in show.text()
    assert "request changes by" in show.text()
    assert not newsroom.discord.pings()
