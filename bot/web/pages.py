"""The public archive: `/`, `/stories/{id}`, `/corrections`, `/search` and the two feeds.

Server-rendered HTML, no JavaScript. Only published and retracted stories exist here
(`storage.public` filters every read); anything else is the same 404 as a story that
never existed, so the address of a story in review tells nobody anything.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.config import Settings
from bot.errors import InvalidInput
from bot.text import broad_search_note, clean_text
from bot.web import feeds
from bot.web.present import (
    Site,
    correction_view,
    environment,
    issue_view,
    listing_view,
    story_view,
)
from storage import public
from storage.worker import AsyncStore

if TYPE_CHECKING:
    from jinja2 import Environment

PAGE_SIZE = 30
MAX_PAGE = 1000
SEARCH_RESULTS = 20
FEED_SIZE = 50
CACHE = "public, max-age=60"


class PageError(Exception):
    """A refusal shown as the archive's error page (by the server's error middleware)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class Archive:
    """Request handlers of the public pages; each reads the store once, on its thread."""

    def __init__(self, settings: Settings, store: AsyncStore, timezone: Callable[[], str]
                 ) -> None:
        self.settings = settings
        self.store = store
        self.timezone = timezone
        self._feeds: dict[tuple[str, str], tuple[Any, bytes, str]] = {}

    @functools.cached_property
    def templates(self) -> Environment:
        """Built by the first page, not at start-up."""
        return environment()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.index, name="index"),
            web.get(r"/stories/{id:\d{1,18}}", self.story, name="story"),
            web.get(r"/issues/{number:\d{1,9}}", self.issue, name="issue"),
            web.get("/corrections", self.corrections, name="corrections"),
            web.get("/search", self.search, name="search"),
            web.get("/feed.atom", self.atom, name="feed.atom"),
            web.get("/feed.json", self.json_feed, name="feed.json"),
        ]

    def site(self, request: web.Request) -> Site:
        base = self.settings.public_url or str(request.url.origin())
        return Site(name=self.settings.name, timezone=self.timezone(), base_url=base,
                    guild_id=self.settings.guild_id or 0)

    def page(self, template: str, site: Site, status: int = 200, **values: Any
             ) -> web.Response:
        html = self.templates.get_template(template).render(site=site, **values)
        return web.Response(text=html, status=status, content_type="text/html",
                            charset="utf-8", headers={"Cache-Control": CACHE})

    def error_page(self, request: web.Request, status: int, title: str, message: str
                   ) -> web.Response:
        response = self.page("error.html", self.site(request), status, title=title,
                             message=message)
        response.headers["Cache-Control"] = "no-cache"
        return response

    # ---- pages -----------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        number = _page_number(request.query.get("page", "1"))
        items = await self.store.run(
            lambda s: public.latest(s, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE))
        site = self.site(request)
        more = len(items) > PAGE_SIZE
        return self.page(
            "index.html", site, title=f"{site.name}: the latest stories", heading=None,
            searchable=False, query="", message=None if items else "Nothing published yet.",
            stories=[listing_view(i, site.timezone) for i in items[:PAGE_SIZE]],
            newer=(f"/?page={number - 1}" if number > 2 else "/") if number > 1 else None,
            older=f"/?page={number + 1}" if more and number < MAX_PAGE else None)

    async def story(self, request: web.Request) -> web.Response:
        story_id = int(request.match_info["id"])
        story = await self.store.run(lambda s: public.public_story(s, story_id))
        if story is None:
            raise PageError(404, "Not found", f"There is no published story #{story_id}.")
        site = self.site(request)
        return self.page("story.html", site, story=story_view(story, site))

    async def issue(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        issue = await self.store.run(lambda s: public.public_issue(s, number))
        if issue is None:
            raise PageError(404, "Not found", f"There is no issue {number}.")
        return self.page("issue.html", self.site(request), issue=issue_view(issue))

    async def corrections(self, request: web.Request) -> web.Response:
        items = await self.store.run(public.corrections_log)
        site = self.site(request)
        return self.page("corrections.html", site,
                         corrections=[correction_view(c, site.timezone) for c in items])

    async def search(self, request: web.Request) -> web.Response:
        raw = request.query.get("q", "")
        site = self.site(request)
        values: dict[str, Any] = {"title": f"Search - {site.name}", "heading": "Search",
                                  "searchable": True, "query": raw[:200], "stories": [],
                                  "message": None}
        if not raw.strip():
            return self.page("index.html", site, **values)
        try:
            query = clean_text(raw, "query", 200, multiline=False)
        except InvalidInput as exc:
            raise PageError(400, "Bad request", str(exc).replace("`", "")) from None
        found = await self.store.archive.search(query, limit=SEARCH_RESULTS)
        values["stories"] = [listing_view(public.Listing(h.story_id, h.headline, h.dek,
                                                         h.status, h.published_at),
                                          site.timezone) for h in found.hits]
        count = len(found.hits)
        values["message"] = (f"{count} stor{'y' if count == 1 else 'ies'} found."
                             if found.ranked else broad_search_note(count))
        return self.page("index.html", site, **values)

    # ---- feeds -----------------------------------------------------------------------

    async def atom(self, request: web.Request) -> web.Response:
        return await self._feed(request, "atom", feeds.atom, feeds.ATOM_TYPE)

    async def json_feed(self, request: web.Request) -> web.Response:
        return await self._feed(request, "json", feeds.json_feed, feeds.JSON_FEED_TYPE)

    async def _feed(self, request: web.Request, kind: str, build: Callable[..., bytes],
                    content_type: str) -> web.Response:
        """Built once per change of the archive (and per base URL), then served from memory;
        a reader that already has this version gets 304."""
        site = self.site(request)
        version = await self.store.run(public.feed_version)
        key = (kind, site.base_url)
        cached = self._feeds.get(key)
        if cached is None or cached[0] != (version, site.timezone):
            stories = await self.store.run(lambda s: public.feed_stories(s, FEED_SIZE))
            template = self.templates.get_template("_story.html")
            body = build(stories, site, lambda view: template.render(site=site, story=view))
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            cached = ((version, site.timezone), body, etag)
            self._feeds[key] = cached
        _, body, etag = cached
        headers = {"Cache-Control": CACHE, "ETag": etag, "Content-Type": content_type}
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers)


def _page_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise PageError(400, "Bad request", f"The page must be a number from 1 to {MAX_PAGE}.")
    return int(text)
