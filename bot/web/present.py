"""From stored stories to what the templates show: escaped text, dates, safe links.

Templates are rendered with autoescaping; the only markup made here is built from
escaped text (citation links, bold, line breaks), and a source becomes a link only when
its URL is http(s), so no article text can inject HTML or a `javascript:` link.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from bot.article import BOTTOM_LINE, WHY_IT_MATTERS, Article
from storage.issues import Issue
from storage.public import Listing, PublicCorrection, PublicStory
from storage.states import State

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS = (TEMPLATES / "style.css").read_text(encoding="utf-8").strip()
CSS_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
_CITATION = re.compile(r"\[(\d{1,3})\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def environment() -> Environment:
    """The templates, built by the first page served: Jinja2 is imported then, not at
    start-up (a bot whose web server is off, or not yet asked for a page, has no use
    for it)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(
        enabled_extensions=("html", "xml"), default_for_string=True, default=True),
        auto_reload=False)


@dataclass(frozen=True)
class Site:
    """What every page needs to know about the newsroom it belongs to."""

    name: str
    timezone: str
    base_url: str  # absolute, no trailing slash
    guild_id: int
    css: Markup = Markup(CSS)  # noqa: RUF009 - an immutable string

    def story_url(self, story_id: int) -> str:
        return f"{self.base_url}/stories/{story_id}"

    def entry_id(self, story_id: int) -> str:
        """A permanent id for feeds that survives a change of the public address."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"newsroom:{self.guild_id}:story:{story_id}").urn

    def feed_id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"newsroom:{self.guild_id}:feed").urn


def day(moment: datetime, timezone: str) -> str:
    """'25 Nov 2026' in the newsroom's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%-d %b %Y")


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 forbids (a stray control character must not break a feed)."""
    return _XML_INVALID.sub("", text)


def paragraph(text: str, sources: int, link_base: str = "") -> Markup:
    """Escaped paragraph; [n] becomes a link to source n when it exists, **x** bold."""
    html = str(escape(text.strip()))
    html = _BOLD.sub(r"<strong>\1</strong>", html)

    def cite(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if not 1 <= number <= sources:
            return match.group(0)
        return f'<a href="{link_base}#source-{number}">[{number}]</a>'

    html = _CITATION.sub(cite, html)
    return Markup(html.replace("\n", "<br>\n"))


def safe_url(url: str) -> str | None:
    """An http(s) URL to link to, or None (shown as text, never as a link)."""
    url = url.strip().strip("<>")
    if url.lower().startswith("www."):
        url = "https://" + url
    if re.match(r"^https?://[^\s\"'<>]+$", url, flags=re.IGNORECASE):
        return url
    return None


def correction_labels(corrections: tuple[PublicCorrection, ...], timezone: str
                      ) -> list[tuple[str, str]]:
    """('Correction, 25 Nov 2026', text), oldest first, as every delivered copy shows."""
    return [(f"{c.kind.capitalize()}, {day(c.created_at, timezone)}", c.text)
            for c in corrections]


def story_view(story: PublicStory, site: Site, link_base: str = "") -> dict[str, Any]:
    """Everything story.html and the feeds show of one story."""
    article = Article.from_dict(story.article)
    count = len(article.sources)
    view: dict[str, Any] = {
        "id": story.id, "url": site.story_url(story.id), "headline": article.headline,
        "dek": article.dek, "disclosure": article.disclosure.strip(),
        "published_on": day(story.published_at, site.timezone),
        "published_iso": story.published_at.isoformat(timespec="seconds"),
        "updated": None, "updated_iso": story.updated_at.isoformat(timespec="seconds"),
        "corrections": correction_labels(story.corrections, site.timezone),
        "retraction": None,
        "body": [paragraph(p, count, link_base) for p in article.body if p.strip()],
        "sections": [(name, paragraph(text, count, link_base)) for name, text in
                     ((WHY_IT_MATTERS, article.why_it_matters),
                      (BOTTOM_LINE, article.bottom_line)) if text.strip()],
        "sources": [{"title": s.title, "publisher": s.publisher, "date": s.date,
                     "url": safe_url(s.url) if s.url else None} for s in article.sources],
    }
    if story.updated_at > story.published_at:
        view["updated"] = day(story.updated_at, site.timezone)
    if story.status == State.RETRACTED:
        when = story.retracted_at or story.updated_at
        view["retraction"] = {"day": day(when, site.timezone),
                              "reason": story.retraction_reason or ""}
    return view


def listing_view(item: Listing, timezone: str) -> dict[str, Any]:
    return {"id": item.story_id, "headline": item.headline, "dek": item.dek,
            "retraction": item.status == State.RETRACTED,
            "published_on": day(item.published_at, timezone),
            "published_iso": item.published_at.isoformat(timespec="seconds")}


def correction_view(item: PublicCorrection, timezone: str) -> dict[str, Any]:
    return {"story_id": item.story_id, "headline": item.headline, "text": item.text,
            "label": f"{item.kind.capitalize()}, {day(item.created_at, timezone)}"}


def issue_view(issue: Issue) -> dict[str, Any]:
    """An issue's page: its heading and contents (a retracted story struck, no dek)."""
    return {"number": issue.number, "heading": issue.heading,
            "published_iso": issue.published_at.isoformat(timespec="seconds"),
            "entries": [{"id": e.story_id, "position": e.position, "headline": e.headline,
                         "dek": e.dek, "struck": e.retracted} for e in issue.entries]}
