"""Modals: the article form (write / edit) and the one-field reason form.

Discord caps a modal at five inputs of at most 4,000 characters each, so the body
(with its "Why It Matters" and "The Bottom Line" sections in Markdown) is split over
two inputs; a story longer than that cannot be edited in a form, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.app import report_error
from bot.article import BOTTOM_LINE, SOURCES, WHY_IT_MATTERS, Article
from bot.errors import InvalidInput
from bot.render import take_text
from bot.text import has_visible

BODY_PART = 4000
MAX_FORM_BODY = 2 * BODY_PART

Submit = Callable[[discord.Interaction, Article], Awaitable[None]]
ReasonSubmit = Callable[[discord.Interaction, str], Awaitable[None]]


def body_markdown(article: Article) -> str:
    blocks = list(article.body)
    if article.why_it_matters.strip():
        blocks += [f"## {WHY_IT_MATTERS}", article.why_it_matters]
    if article.bottom_line.strip():
        blocks += [f"## {BOTTOM_LINE}", article.bottom_line]
    return "\n\n".join(blocks)


def sources_text(article: Article) -> str:
    return "\n".join(f"{i}. {s.line()}" for i, s in enumerate(article.sources, 1))


def article_from_form(headline: str, dek: str, body: str, sources: str) -> Article:
    """Reuse the Markdown reader so a form and a file mean the same thing."""
    if not has_visible(headline) or not has_visible(body):
        raise InvalidInput("A draft needs a headline and a body; nothing was saved.")
    parts = [f"# {' '.join(headline.split())}", dek.strip(), body.strip()]
    if sources.strip():
        parts += [f"## {SOURCES}", sources.strip()]
    return Article.from_markdown("\n\n".join(p for p in parts if p))


class Form(discord.ui.Modal):
    """A modal whose errors take the one error path (ephemeral answer, log)."""

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


class ArticleForm(Form):
    def __init__(self, title: str, on_submit: Submit, article: Article | None = None) -> None:
        super().__init__(title=title[:45], timeout=1800)
        self._submit = on_submit
        body = body_markdown(article) if article else ""
        if len(body) > MAX_FORM_BODY:
            raise InvalidInput(
                f"This story's body is {len(body):,} characters, more than Discord's form "
                f"can hold ({MAX_FORM_BODY:,}). Use `/draft revise` with instructions instead.")
        first, rest = take_text(body, BODY_PART) if body else ("", "")
        self.headline = discord.ui.TextInput(
            label="Headline", max_length=100, default=article.headline if article else None)
        self.dek = discord.ui.TextInput(
            label="Dek (1-3 sentence summary)", style=discord.TextStyle.paragraph,
            max_length=300, default=article.dek if article else None)
        self.body = discord.ui.TextInput(
            label="Body (paragraphs, ## Why It Matters ...)", style=discord.TextStyle.paragraph,
            max_length=BODY_PART, default=first or None,
            placeholder="Paragraphs separated by blank lines, citing sources like [1].")
        self.body_more = discord.ui.TextInput(
            label="Body, continued (optional)", style=discord.TextStyle.paragraph,
            max_length=BODY_PART, required=False, default=rest or None)
        self.sources = discord.ui.TextInput(
            label="Sources, one per line", style=discord.TextStyle.paragraph, max_length=4000,
            required=False, default=(sources_text(article) if article else None) or None,
            placeholder="1. Title - Publisher - https://... - 2026-11-20")
        for item in (self.headline, self.dek, self.body, self.body_more, self.sources):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        body = "\n\n".join(p for p in (self.body.value, self.body_more.value) if p.strip())
        article = article_from_form(self.headline.value, self.dek.value, body,
                                    self.sources.value)
        await self._submit(interaction, article)


class ReasonForm(Form):
    def __init__(self, title: str, label: str, on_submit: ReasonSubmit,
                 default: str | None = None, max_length: int = 1000) -> None:
        super().__init__(title=title[:45], timeout=900)
        self._submit = on_submit
        self.reason = discord.ui.TextInput(label=label[:45], style=discord.TextStyle.paragraph,
                                           max_length=max_length, default=default)
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, self.reason.value)


class CorrectionForm(Form):
    """The correction flow: the dated note, and the text as it should read now."""

    def __init__(self, story_id: int, kind: str, note: str, article: Article,
                 on_submit: Callable[[discord.Interaction, str, Article], Awaitable[None]]
                 ) -> None:
        super().__init__(title=f"{kind.capitalize()} to #{story_id}"[:45], timeout=1800)
        self._submit = on_submit
        self._article = article
        body = body_markdown(article)
        if len(body) > MAX_FORM_BODY:
            raise InvalidInput("This story is too long to correct its text in a form; use "
                               "`/correct` with the note only.")
        first, rest = take_text(body, BODY_PART)
        self.note = discord.ui.TextInput(
            label=f"{kind.capitalize()} note (shown on every copy)"[:45],
            style=discord.TextStyle.paragraph, max_length=1000, default=note[:1000] or None,
            placeholder="An earlier version of this article misstated ... It is ...")
        self.headline = discord.ui.TextInput(label="Headline", max_length=100,
                                             default=article.headline)
        self.dek = discord.ui.TextInput(label="Dek", style=discord.TextStyle.paragraph,
                                        max_length=300, default=article.dek or None)
        self.body = discord.ui.TextInput(label="Body (fix the text here)",
                                         style=discord.TextStyle.paragraph,
                                         max_length=BODY_PART, default=first or None)
        self.body_more = discord.ui.TextInput(label="Body, continued",
                                              style=discord.TextStyle.paragraph,
                                              max_length=BODY_PART, required=False,
                                              default=rest or None)
        for item in (self.note, self.headline, self.dek, self.body, self.body_more):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        body = "\n\n".join(p for p in (self.body.value, self.body_more.value) if p.strip())
        fixed = article_from_form(self.headline.value, self.dek.value, body,
                                  sources_text(self._article))
        await self._submit(interaction, self.note.value, fixed)


KIND_OPTIONS = [("correction", "Something is wrong"), ("clarification", "Something is unclear"),
                ("tip", "A tip for the newsroom"), ("comment", "A comment")]


class FeedbackForm(Form):
    """What the "Report an error" button opens: the same fields as /feedback."""

    def __init__(self, story_id: int,
                 on_submit: Callable[[discord.Interaction, str, str, str | None],
                                     Awaitable[None]]) -> None:
        super().__init__(title=f"Feedback on story #{story_id}"[:45], timeout=1800)
        self._submit = on_submit
        self.kind = discord.ui.Select(options=[
            discord.SelectOption(label=value.capitalize(), value=value, description=text,
                                 default=value == "correction")
            for value, text in KIND_OPTIONS], min_values=1, max_values=1)
        self.text = discord.ui.TextInput(style=discord.TextStyle.paragraph, max_length=1500)
        self.quote = discord.ui.TextInput(max_length=300, required=False)
        self.add_item(discord.ui.Label(text="Kind", component=self.kind))
        self.add_item(discord.ui.Label(text="What is wrong or unclear?", component=self.text))
        self.add_item(discord.ui.Label(text="The phrase in question (optional)",
                                       component=self.quote))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        kind = self.kind.values[0] if self.kind.values else "correction"
        await self._submit(interaction, kind, self.text.value, self.quote.value or None)
