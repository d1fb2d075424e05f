"""The Atom 1.0 (RFC 4287) and JSON Feed 1.1 documents of the latest stories.

An entry's `updated` / `date_modified` is its last public change (publication, latest
correction, retraction) and its content is the story as the page shows it, corrections
first; a retracted story's content is the retraction notice. Feed readers and
feed-to-Discord bots watch exactly these fields to pick up a change.

Atom is built with ElementTree, so it is well-formed whatever the text holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from bot.web.present import Site, story_view, xml_safe
from storage.public import PublicStory

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"

ContentRenderer = Callable[[dict[str, Any]], str]
"""Renders a story view as the HTML fragment of the story page (templates/_story.html)."""


def _stamp(story: PublicStory) -> str:
    return story.updated_at.isoformat(timespec="seconds")


def _title(view: dict[str, Any]) -> str:
    return f"Retracted: {view['headline']}" if view["retraction"] else view["headline"]


def _views(stories: list[PublicStory], site: Site) -> list[dict[str, Any]]:
    return [story_view(s, site, link_base=site.story_url(s.id)) for s in stories]


def atom(stories: list[PublicStory], site: Site, render: ContentRenderer) -> bytes:
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": "en"})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            child.text = xml_safe(text)
        return child

    add(feed, "id", site.feed_id())
    add(feed, "title", site.name)
    add(feed, "subtitle", f"The latest stories of {site.name}, with their corrections")
    newest = max((s.updated_at for s in stories), default=None)
    add(feed, "updated", newest.isoformat(timespec="seconds") if newest else
        "1970-01-01T00:00:00+00:00")
    add(feed, "link", rel="self", type="application/atom+xml", href=f"{site.base_url}/feed.atom")
    add(feed, "link", rel="alternate", type="text/html", href=f"{site.base_url}/")
    author = add(feed, "author")
    add(author, "name", site.name)
    add(feed, "generator", "newsroom")
    for story, view in zip(stories, _views(stories, site), strict=True):
        entry = add(feed, "entry")
        add(entry, "id", site.entry_id(story.id))
        add(entry, "title", _title(view))
        add(entry, "link", rel="alternate", type="text/html", href=view["url"])
        add(entry, "published", story.published_at.isoformat(timespec="seconds"))
        add(entry, "updated", _stamp(story))
        if view["dek"] and not view["retraction"]:
            add(entry, "summary", view["dek"])
        add(entry, "content", render(view), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def json_feed(stories: list[PublicStory], site: Site, render: ContentRenderer) -> bytes:
    items = []
    for story, view in zip(stories, _views(stories, site), strict=True):
        item: dict[str, Any] = {
            "id": site.entry_id(story.id), "url": view["url"], "title": _title(view),
            "content_html": render(view),
            "date_published": story.published_at.isoformat(timespec="seconds"),
            "date_modified": _stamp(story),
        }
        if view["dek"] and not view["retraction"]:
            item["summary"] = view["dek"]
        items.append(item)
    document = {
        "version": JSON_FEED_VERSION, "title": site.name,
        "home_page_url": f"{site.base_url}/", "feed_url": f"{site.base_url}/feed.json",
        "description": f"The latest stories of {site.name}, with their corrections",
        "language": "en", "authors": [{"name": site.name}], "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
