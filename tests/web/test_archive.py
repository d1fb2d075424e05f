"""The public archive over HTTP: what a reader, a feed reader or a crawler gets."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.web.health import GatewayState
from storage import archive as archive_module
from storage.store import Store
from tests.e2e.helpers import article
from tests.storage import steps
from tests.web.conftest import (
    CLARIFICATION,
    CORRECTION,
    LONG_URL,
    RETRACTION,
    ServerThread,
    build_archive,
)
from tests.web.feed_rules import atom_problems, json_feed_problems

SECRETS = ("Secret in_review draft", "Secret spiked draft", "Secret drafting topic")
EVERY_PAGE = ("/", "/corrections", "/search?q=judge", "/search?q=secret", "/feed.atom",
              "/feed.json")


def test_story_page_in_the_house_format(server, archive) -> None:
    html = server.text(f"/stories/{archive.ids['corrected']}")
    assert "<h1>Judge Lets Authors&#39; Copyright Claims Against AI Developer Proceed</h1>" \
        in html
    for part in ('<p class="dek">A federal judge', "<h2>Why It Matters</h2>",
                 "<h2>The Bottom Line</h2>", "<h2>Sources</h2>",
                 '<a href="https://www.reuters.com/legal/authors-ai-lawsuit-survives"',
                 '<a href="#source-1">[1]</a>',
                 '<p class="disclosure">This article was written by an AI newsroom agent'):
        assert part in html, part
    assert '<link rel="canonical" href="https://news.example.org/stories/' in html


def test_corrections_are_dated_and_come_before_the_text(server, archive) -> None:
    html = server.text(f"/stories/{archive.ids['corrected']}")
    first = f"<strong>Correction, 25 Nov 2026:</strong> {CORRECTION}"
    escaped = CLARIFICATION.replace("'", "&#39;")
    second = f"<strong>Clarification, 26 Nov 2026:</strong> {escaped}"
    assert first in html and second in html
    assert html.index(first) < html.index(second) < html.index('<p class="dek">')


def test_a_retracted_story_shows_the_notice_and_reason_instead_of_the_text(server,
                                                                            archive) -> None:
    html = server.text(f"/stories/{archive.ids['retracted']}")
    assert "Retracted, " in html and RETRACTION in html
    assert "It should not be relied on." in html
    assert 'class="dek"' not in html and "Why It Matters" not in html
    assert "Lisa Moreno" not in html  # nothing of the body


@pytest.mark.parametrize("key", ["in_review", "spiked", "drafting"])
def test_unpublished_stories_are_404_like_stories_that_never_existed(server, archive,
                                                                     key) -> None:
    status, headers, body = server.get(f"/stories/{archive.ids[key]}")
    missing_status, _, missing = server.get("/stories/999999")
    assert status == missing_status == 404
    assert body.replace(f"#{archive.ids[key]}.".encode(), b"#N.") == \
        missing.replace(b"#999999.", b"#N.")
    assert headers["Cache-Control"] == "no-cache"


def test_nothing_unpublished_leaks_through_any_page_or_feed(server) -> None:
    for path in EVERY_PAGE:
        _, _, body = server.get(path)
        for secret in SECRETS:
            assert secret.encode() not in body, (path, secret)


def test_no_editor_or_reader_ids_on_any_page(server) -> None:
    """The fixture's requester is 111 and its editor 222: neither appears anywhere."""
    for path in EVERY_PAGE:
        _, _, body = server.get(path)
        assert not re.search(rb"\b(111|222)\b", body), path


def test_hostile_text_is_escaped_and_only_http_sources_are_links(server, archive) -> None:
    html = server.text(f"/stories/{archive.ids['hostile']}")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;tags&lt;/b&gt;" in html
    assert '<li id="source-1">Evil</li>' in html  # a javascript: URL is not a link
    assert f'<a href="{LONG_URL}"' in html
    assert "[9]" in html and 'href="#source-9"' not in html  # no such source: no link


def test_pages_forbid_scripts_and_carry_no_javascript(server, archive) -> None:
    for path in ("/", f"/stories/{archive.ids['corrected']}", "/corrections", "/search"):
        status, headers, body = server.get(path)
        assert status == 200
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert b"<script" not in body
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_home_lists_the_latest_first_with_retracted_marked(server, archive) -> None:
    html = server.text("/")
    positions = [html.index(f'href="/stories/{archive.ids[k]}"')
                 for k in ("hostile", "retracted", "corrected", "plain")]
    assert positions == sorted(positions)
    retracted = html.split(f'href="/stories/{archive.ids["retracted"]}"')[0][-200:]
    assert "Retracted" in retracted


def test_corrections_log_links_each_correction_to_its_story(server, archive) -> None:
    html = server.text("/corrections")
    assert html.index("Clarification, 26 Nov 2026") < html.index("Correction, 25 Nov 2026")
    assert f'href="/stories/{archive.ids["corrected"]}"' in html


def test_search_uses_the_archive_index(server, archive) -> None:
    html = server.text("/search?q=chip+export")
    assert f'href="/stories/{archive.ids["plain"]}"' in html
    assert "1 story found." in html
    assert 'value="chip export"' in html
    assert "0 stories found." in server.text("/search?q=%22unbalanced")


def test_a_broad_search_says_the_newest_come_first(server, archive, monkeypatch) -> None:
    monkeypatch.setattr(archive_module, "NARROW", 0)  # every word counts as common
    html = server.text("/search?q=chip+export")
    assert f'href="/stories/{archive.ids["plain"]}"' in html
    assert "Many stories match: the newest 1 about it come first. Add words to narrow." in html


def test_bad_input_gets_a_clear_page_and_a_400(server) -> None:
    status, _, body = server.get("/search?q=" + "x" * 201)
    assert status == 400 and b"the limit is 200" in body
    status, _, body = server.get("/?page=0")
    assert status == 400 and b"The page must be a number from 1 to 1000." in body
    assert server.get("/nowhere")[0] == 404


def test_atom_feed_is_valid_and_shows_corrections_and_retractions(server, archive) -> None:
    status, headers, body = server.get("/feed.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    assert atom_problems(body) == []
    text = body.decode()
    corrected = text.split(f"https://news.example.org/stories/{archive.ids['corrected']}")[1]
    entry = corrected.split("</entry>")[0]
    assert "<updated>2026-11-26T10:00:00+00:00</updated>" in entry  # the clarification
    assert "Correction, 25 Nov 2026:" in entry
    assert f"<title>Retracted: {archive.headlines['retracted']}</title>" in text


def test_json_feed_is_valid_and_matches_the_atom_feed(server, archive) -> None:
    status, headers, body = server.get("/feed.json")
    assert status == 200 and headers["Content-Type"].startswith("application/feed+json")
    assert json_feed_problems(body) == []
    feed = json.loads(body)
    items = {i["url"]: i for i in feed["items"]}
    corrected = items[f"https://news.example.org/stories/{archive.ids['corrected']}"]
    assert corrected["date_modified"] == "2026-11-26T10:00:00+00:00"
    assert corrected["content_html"].index("Correction, 25 Nov 2026") < \
        corrected["content_html"].index('class="dek"')
    retracted = items[f"https://news.example.org/stories/{archive.ids['retracted']}"]
    assert RETRACTION in retracted["content_html"] and "Lisa Moreno" not in \
        retracted["content_html"]
    assert [i["date_modified"] for i in feed["items"]] == \
        sorted((i["date_modified"] for i in feed["items"]), reverse=True)


def test_feeds_answer_304_to_a_reader_that_has_the_latest(server) -> None:
    _, headers, _ = server.get("/feed.atom")
    status, _, body = server.get("/feed.atom", {"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""


def test_a_new_correction_changes_the_feed_entry(tmp_path) -> None:
    built = build_archive(tmp_path / "newsroom.db")
    with ServerThread(built.path) as running:
        _, before = running.json("/feed.json")
        store = Store(built.path)
        steps.correct(store, built.ids["plain"], text="Fixed a date.", by=222,
                      article=article().to_dict())
        store.close()
        _, after = running.json("/feed.json")
    assert after["items"][0]["url"].endswith(f"/stories/{built.ids['plain']}")
    assert "Fixed a date." in after["items"][0]["content_html"]
    assert after["items"][0]["date_modified"] > before["items"][0]["date_modified"]
    # without NEWSROOM_PUBLIC_URL, links use the address the reader asked
    assert after["items"][0]["url"].startswith(running.url)


def test_healthz_is_ready_only_with_a_gateway_and_a_writable_database(server) -> None:
    status, body = server.json("/healthz")
    assert status == 200 and body["status"] == "ok"
    assert body["gateway"] == {"state": "connected", "latency_ms": 42.0, "down_seconds": None}
    assert body["database"] == {"writable": True, "error": None}
    assert body["draft_jobs"] == {"waiting": 1} and body["deliveries"]["failed"] == 0
    for state, ready in ((GatewayState("starting"), False),
                         (GatewayState("disconnected", None, 30.0), True),
                         (GatewayState("disconnected", None, 61.0), False)):
        server.gateway.state = state
        status, body = server.json("/healthz")
        assert (status == 200) is ready, body
    server.gateway.state = GatewayState("connected", 42.0)
    server.call(server.store.run(lambda s: s.db.execute("PRAGMA query_only = ON")))
    try:
        status, body = server.json("/healthz")
    finally:
        server.call(server.store.run(lambda s: s.db.execute("PRAGMA query_only = OFF")))
    assert status == 503 and body["database"]["writable"] is False
    assert body["reasons"] == ["database not writable: attempt to write a readonly database"]


def test_metrics_are_prometheus_text_without_text_or_ids(server, archive) -> None:
    status, headers, body = server.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    stories = {s.labels["state"]: s.value for s in families["newsroom_stories"].samples}
    assert stories == {"published": 3, "retracted": 1, "in_review": 1, "spiked": 1,
                       "drafting": 1}
    for name in ("newsroom_deliveries", "newsroom_draft_jobs", "newsroom_tickets",
                 "newsroom_claude_tokens", "newsroom_claude_cost_usd",
                 "newsroom_discord_requests", "newsroom_discord_429s",
                 "newsroom_interaction_ack_seconds", "newsroom_event_loop_lag_seconds"):
        assert name in families, name
    assert b"Judge" not in body and not re.search(rb"\b(111|222)\b", body)


def test_the_database_stays_consistent_while_pages_are_read(server, archive) -> None:
    """Pages only read: the store is never left in a transaction by a page."""
    server.text("/")
    assert not server.call(server.store.run(lambda s: s.db.conn.in_transaction))
    conn = sqlite3.connect(archive.path)
    conn.execute("BEGIN IMMEDIATE")  # another writer can always get the lock
    conn.rollback()
    conn.close()
