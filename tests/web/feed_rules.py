"""Validators for Atom 1.0 (RFC 4287) and JSON Feed 1.1, written from the specifications.

Each returns the list of violations (empty: valid). They check what the specifications
require of a document, not what this project happens to write, so a feed that passes
here is one a feed reader must accept.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
TEXT_TYPES = {"text", "html", "xhtml"}

# RFC 4287 4.1.1 / 4.1.2: children of feed and entry, and how many of each may appear.
FEED_CHILDREN = {"author": "*", "category": "*", "contributor": "*", "generator": "?",
                 "icon": "?", "id": "1", "link": "*", "logo": "?", "rights": "?",
                 "subtitle": "?", "title": "1", "updated": "1", "entry": "*"}
ENTRY_CHILDREN = {"author": "*", "category": "*", "content": "?", "contributor": "*",
                  "id": "1", "link": "*", "published": "?", "rights": "?", "source": "?",
                  "summary": "?", "title": "1", "updated": "1"}


def _counts(element: ET.Element, allowed: dict[str, str], where: str) -> list[str]:
    problems = []
    names = Counter(child.tag for child in element)
    for tag in names:
        if tag.startswith(ATOM) and tag[len(ATOM):] not in allowed:
            problems.append(f"{where}: atom:{tag[len(ATOM):]} is not allowed here")
    for name, rule in allowed.items():
        n = names.get(ATOM + name, 0)
        if rule == "1" and n != 1:
            problems.append(f"{where}: needs exactly one atom:{name}, has {n}")
        if rule == "?" and n > 1:
            problems.append(f"{where}: at most one atom:{name}, has {n}")
    return problems


def _text_constructs(element: ET.Element, where: str) -> list[str]:
    problems = []
    for name in ("title", "subtitle", "summary", "rights"):
        for child in element.findall(ATOM + name):
            kind = child.get("type", "text")
            if kind not in TEXT_TYPES:
                problems.append(f"{where}: atom:{name} type '{kind}' (text, html or xhtml)")
            if kind == "html":
                problems += _html(child.text or "", f"{where} atom:{name}")
    return problems


def _dates(element: ET.Element, where: str) -> list[str]:
    return [f"{where}: atom:{name} '{child.text}' is not an RFC 3339 date-time"
            for name in ("updated", "published") for child in element.findall(ATOM + name)
            if not RFC3339.match((child.text or "").strip())]


def _links(element: ET.Element, where: str) -> list[str]:
    problems, alternates = [], Counter()
    for link in element.findall(ATOM + "link"):
        if not link.get("href"):
            problems.append(f"{where}: atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            alternates[(link.get("type"), link.get("hreflang"))] += 1
    problems += [f"{where}: two alternate links with the same type and hreflang"
                 for n in alternates.values() if n > 1]
    return problems


def _persons(element: ET.Element, where: str) -> list[str]:
    return [f"{where}: atom:{kind} without exactly one atom:name"
            for kind in ("author", "contributor") for person in element.findall(ATOM + kind)
            if len(person.findall(ATOM + "name")) != 1]


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" or any(name.startswith("on") for name, _ in attrs):
            self.scripts += 1


def _html(text: str, where: str) -> list[str]:
    parser = _Html()
    parser.feed(text)
    parser.close()
    return [f"{where}: escaped HTML carries script"] if parser.scripts else []


def atom_problems(document: bytes) -> list[str]:
    """RFC 4287 rules for an Atom feed document."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != ATOM + "feed":
        return [f"the root element is {root.tag}, not atom:feed"]
    problems = _counts(root, FEED_CHILDREN, "feed") + _text_constructs(root, "feed")
    problems += _dates(root, "feed") + _links(root, "feed") + _persons(root, "feed")
    ids = [e.text for e in root.findall(ATOM + "id")]
    entries = root.findall(ATOM + "entry")
    feed_author = bool(root.findall(ATOM + "author"))
    for index, entry in enumerate(entries, 1):
        where = f"entry {index}"
        problems += _counts(entry, ENTRY_CHILDREN, where) + _text_constructs(entry, where)
        problems += _dates(entry, where) + _links(entry, where) + _persons(entry, where)
        ids += [e.text for e in entry.findall(ATOM + "id")]
        if not feed_author and not entry.findall(ATOM + "author"):
            problems.append(f"{where}: no atom:author in the entry or the feed (4.1.2)")
        content = entry.find(ATOM + "content")
        alternates = [k for k in entry.findall(ATOM + "link")
                      if k.get("rel", "alternate") == "alternate"]
        if content is None and not alternates:
            problems.append(f"{where}: neither atom:content nor an alternate link (4.1.2)")
        if content is not None:
            kind = content.get("type", "text")
            if kind not in TEXT_TYPES and "/" not in kind:
                problems.append(f"{where}: content type '{kind}'")
            if kind == "html":
                problems += _html(content.text or "", f"{where} content")
        if content is not None and content.get("src") is None and \
                entry.find(ATOM + "summary") is None and kind not in TEXT_TYPES:
            problems.append(f"{where}: non-text content needs an atom:summary (4.1.1.1)")
    problems += [f"atom:id '{i}' is not an absolute IRI" for i in ids
                 if not IRI.match((i or "").strip())]
    problems += [f"atom:id '{i}' used {n} times" for i, n in Counter(ids).items() if n > 1]
    return problems


JSON_TOP = {"version", "title", "home_page_url", "feed_url", "description", "user_comment",
            "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items"}
JSON_ITEM = {"id", "url", "external_url", "title", "content_html", "content_text", "summary",
             "image", "banner_image", "date_published", "date_modified", "authors", "tags",
             "language", "attachments"}
URL_KEYS = ("home_page_url", "feed_url", "next_url", "icon", "favicon", "url",
            "external_url", "image", "banner_image")


def _json_object(obj: dict[str, Any], allowed: set[str], where: str) -> list[str]:
    problems = [f"{where}: unknown key '{k}' (extensions start with '_')"
                for k in obj if k not in allowed and not k.startswith("_")]
    problems += [f"{where}: {k} is not a URL string" for k in URL_KEYS
                 if k in obj and k in allowed and not (isinstance(obj[k], str)
                                                       and IRI.match(obj[k]))]
    for key in ("date_published", "date_modified"):
        if key in obj and not (isinstance(obj[key], str) and RFC3339.match(obj[key])):
            problems.append(f"{where}: {key} '{obj[key]}' is not RFC 3339")
    authors = obj.get("authors", [])
    if not isinstance(authors, list) or any(
            not isinstance(a, dict) or not ({"name", "url", "avatar"} & a.keys())
            for a in authors):
        problems.append(f"{where}: authors must be objects with a name, url or avatar")
    return problems


def json_feed_problems(document: bytes) -> list[str]:
    """JSON Feed 1.1 rules (https://www.jsonfeed.org/version/1.1/)."""
    try:
        feed = json.loads(document)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    if not isinstance(feed, dict):
        return ["the top level is not an object"]
    problems = _json_object(feed, JSON_TOP, "feed")
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append(f"version is {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str):
        problems.append("title is required and must be a string")
    items = feed.get("items")
    if not isinstance(items, list):
        return [*problems, "items is required and must be an array"]
    for index, item in enumerate(items, 1):
        where = f"item {index}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not an object")
            continue
        problems += _json_object(item, JSON_ITEM, where)
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"{where}: id is required and must be a non-empty string")
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            problems.append(f"{where}: content_html or content_text is required")
        if isinstance(item.get("content_html"), str):
            problems += _html(item["content_html"], f"{where} content_html")
    ids = Counter(i.get("id") for i in items if isinstance(i, dict))
    problems += [f"id {i!r} used {n} times" for i, n in ids.items() if n > 1]
    return problems
