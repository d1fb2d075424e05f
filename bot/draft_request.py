"""One request to Claude for a draft: the API call's arguments, and the Sources list of
the article that comes back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.article import Article, Source
from bot.prompts import SYSTEM_PROMPT, TOOLS, document_block, revision_text, source_line, task_text
from storage.records import DraftJob, SourceDoc, Story

MAX_TOKENS = {"brief": 4000, "standard": 8000, "long": 12000}
CACHED = {"type": "ephemeral"}


@dataclass
class _Plan:
    """One API request, and how its document blocks map back to source numbers."""

    kwargs: dict[str, Any]
    doc_numbers: list[int] = field(default_factory=list)
    url_numbers: dict[str, int] = field(default_factory=dict)


def plan_request(model: str, story: Story, sources: list[SourceDoc], job: DraftJob,
                 current: Article | None, revision: int) -> _Plan:
    """Tools and system prompt identical for every story (read from the prompt cache),
    then the story's documents, cached too (a revision or retry reads them back), then
    the editor's request, which alone varies from one request of a story to the next."""
    plan = _Plan(kwargs={})
    content: list[dict[str, Any]] = []
    lines = []
    for number, doc in enumerate(sources, start=1):
        lines.append(source_line(number, doc))
        if doc.kind == "url":
            plan.url_numbers[doc.url or ""] = number
        else:
            content.append(document_block(number, doc))
            plan.doc_numbers.append(number)
    if content:
        content[-1] = {**content[-1], "cache_control": CACHED}
    if job.kind == "revise" and current is not None:
        text = revision_text(current_markdown=current.to_markdown(), revision=revision,
                             instructions=job.instructions or "", source_lines=lines)
    else:
        text = task_text(topic=story.topic, length=story.length, notes=story.notes,
                         source_lines=lines)
    content.append({"type": "text", "text": text})
    plan.kwargs = {
        "model": model,
        "max_tokens": MAX_TOKENS.get(story.length or "standard", 8000),
        "tools": TOOLS,
        "system": [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": CACHED}],
        "messages": [{"role": "user", "content": content}],
    }
    return plan


def source_list(sources: list[SourceDoc], titles: Mapping[int, str]) -> tuple[Source, ...]:
    """The article's Sources section, numbered exactly as the editor supplied them; a URL
    source is named by the title of the page fetched for it (`titles` by number)."""
    out = []
    for number, doc in enumerate(sources, start=1):
        if doc.kind == "url":
            url = doc.url or ""
            out.append(Source(title=titles.get(number) or url,
                              publisher=urlsplit(url).hostname or "", url=url))
        elif doc.kind in {"file", "pdf"}:
            out.append(Source(title=doc.title, publisher="Document supplied to the newsroom"))
        else:
            out.append(Source(title=doc.title, publisher="Text supplied to the newsroom"))
    return tuple(out)
