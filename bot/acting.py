"""Acting on one story: find it, see it as the lifecycle sees it, and decide.

Every service that acts on a story starts here, so "there is no story #12" and the
lifecycle's refusal read the same whichever command or button asked.
"""

from __future__ import annotations

from bot.errors import NotFound
from bot.lifecycle import Action, Actor, Policy, State, StoryFacts, Transition, decide
from storage.records import Approval, Story
from storage.worker import AsyncStore

CHANGED_MEANWHILE = "Story #{id} changed while you were acting on it; nothing was done. Try again."


async def find_story(store: AsyncStore, story_id: int) -> Story:
    """The story, or `NotFound` with a sentence for the member."""
    story = await store.stories.find(story_id)
    if story is None:
        raise NotFound(f"There is no story #{story_id}.")
    return story


def facts_of(story: Story, approvals: list[Approval]) -> StoryFacts:
    return StoryFacts(
        status=State(story.status),
        requested_by=story.requested_by,
        last_author_id=story.last_author_id,
        revision=story.current_revision,
        approvers=frozenset(a.editor_id for a in approvals),
    )


async def story_facts(store: AsyncStore, story: Story) -> StoryFacts:
    return facts_of(story, await store.review.approvals(story.id, story.current_revision))


async def decided(store: AsyncStore, story_id: int, action: Action, actor: Actor,
                  policy: Policy) -> tuple[Story, Transition]:
    """The story and the transition the lifecycle allows this actor, or NotFound/Refused."""
    story = await find_story(store, story_id)
    return story, decide(action, await story_facts(store, story), actor, policy)
