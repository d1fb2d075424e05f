"""What a draft keeps of its sources (fetched pages, cited passages), and how Claude's
answer is read: only the article, citations mapped to the editor's numbers, no marker
twice. Through the real SDK against the fake Anthropic API."""

from __future__ import annotations

from bot.article import Article
from bot.drafting import Drafter
from storage.grounding import citations
from tests.bot.test_drafting import EDITOR, SOURCES, drafter, request  # noqa: F401 - fixture
from tests.fakes.fake_anthropic import Custom, text_block

URL = "https://harbour.example.org/news/strike-ends"
PAGE = ("Strike ends at Eastham harbour\n\nThe harbour authority said on Monday that the "
        "three-week strike ended after workers accepted a 6 percent pay rise.")
ARTICLE = ("# Port Strike Ends\n\nThe strike is over. Work resumes.\n\n{body}\n\n"
           "## Why It Matters\n\nThe port matters [1].\n\n## The Bottom Line\n\nIt is over.\n")


def fetch_blocks(url: str, text: str) -> list[dict]:
    """What the API returns for one web fetch: the tool call and its result."""
    return [
        {"type": "server_tool_use", "id": "srvtoolu_01abc", "name": "web_fetch",
         "input": {"url": url}},
        {"type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_01abc",
         "content": {"type": "web_fetch_result", "url": url, "retrieved_at":
                     "2026-11-17T09:30:00Z",
                     "content": {"type": "document", "title": "Strike ends at Eastham harbour",
                                 "source": {"type": "text", "media_type": "text/plain",
                                            "data": text}, "citations": {"enabled": True}}}},
    ]


def cite(index: int, text: str) -> dict:
    return {"type": "char_location", "cited_text": text, "document_index": index,
            "document_title": None, "start_char_index": 0, "end_char_index": len(text)}


async def test_cited_passages_are_stored_per_paragraph_with_the_revision(
        drafter: Drafter) -> None:  # noqa: F811
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    stored = await drafter.store.run(lambda s: citations(s, story.id, 1))
    sources = await drafter.store.stories.sources(story.id)
    assert {c.source for c in stored} == {1, 2}
    for c in stored:
        assert c.paragraph.startswith("body paragraph") and c.cited_text.strip()
        assert c.cited_text.strip() in sources[c.source - 1].text
    article = Article.from_dict(outcome.revision.article)
    assert all(f"[{c.source}]" in article.body[int(c.paragraph.split()[-1]) - 1]
               for c in stored)


async def test_a_fetched_page_is_stored_with_its_time_and_cited_as_its_source(
        drafter: Drafter, fake_anthropic) -> None:  # noqa: F811
    fake_anthropic.web_pages[URL] = PAGE
    story = await request(drafter, sources_text=f"1) The union said 1,800 members voted. {URL}")
    outcome = await drafter.start(story.id)
    assert outcome.ok
    url_source = next(s for s in await drafter.store.stories.sources(story.id) if s.kind == "url")
    assert url_source.position == 1 and url_source.text == PAGE and url_source.fetched_at
    stored = await drafter.store.run(lambda s: citations(s, story.id, 1))
    assert {c.source for c in stored} == {1, 2}  # the page's citations are not dropped
    [from_page] = [c for c in stored if c.source == 1]
    assert from_page.cited_text.strip() in PAGE
    article = Article.from_dict(outcome.revision.article)
    assert article.sources[0].title == "Strike ends at Eastham harbour"
    assert any("[1]" in p and "6 percent" in p for p in article.body)


async def test_only_the_text_after_the_last_tool_result_is_the_article(
        drafter: Drafter, fake_anthropic) -> None:  # noqa: F811
    fake_anthropic.web_pages[URL] = PAGE
    body = "The strike ended after workers accepted a 6 percent pay rise [1]."
    blocks = [text_block("I'll fetch the page first."), *fetch_blocks(URL, PAGE),
              text_block("Now I have what I need.\n\n" + ARTICLE.format(body=body))]
    fake_anthropic.script(Custom(lambda request_body: blocks))
    story = await request(drafter, sources_text=URL)
    outcome = await drafter.start(story.id)
    assert outcome.ok and outcome.attempts == 1
    article = Article.from_dict(outcome.revision.article)
    assert article.headline == "Port Strike Ends" and article.body == (body,)
    assert len(fake_anthropic.message_requests) == 1  # one paid request


async def test_an_answer_that_is_not_an_article_is_not_paid_for_again(
        drafter: Drafter, fake_anthropic) -> None:  # noqa: F811
    fake_anthropic.set_default(Custom(lambda body: [text_block("I cannot write this.\n\n"
                                                               "Sorry about that.")]))
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert not outcome.ok and "not an article" in outcome.reason
    assert len(fake_anthropic.message_requests) == 1


async def test_a_marker_is_added_once_per_paragraph_at_its_end(
        drafter: Drafter, fake_anthropic) -> None:  # noqa: F811
    said = "The dockworkers' union said its members will return to work on Wednesday"
    blocks = [text_block("# Port Strike Ends\n\nThe strike is over. Work resumes.\n\n"
                         "The union made an offer", [cite(1, said)]),
              text_block(" on Wednesday [2]. Talks ended", [cite(0, "The harbour authority")]),
              text_block(".\n\n## Why It Matters\n\nThe port matters [1].\n\n"
                         "## The Bottom Line\n\nIt is over.\n")]
    fake_anthropic.script(Custom(lambda body: blocks))
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    article = Article.from_dict(outcome.revision.article)
    # [2] was cited in the first block but written by Claude in the second: not "offer[2]"
    assert article.body == ("The union made an offer on Wednesday [2]. Talks ended. [1]",)
