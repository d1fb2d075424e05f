"""Synthetic but realistically shaped news text, and bulk-filled newsroom databases.

Vocabulary: every word of the house-format articles in tests/articles (real news
prose, ~1,400 distinct words) ranked by how often they occur there, drawn with a Zipf
law like natural text; plus 30,000 invented proper names (people, firms, places), of
which each story carries a few, the way real stories carry rare names. Sentences are
drawn from a pool (fast to generate, the word frequencies stay Zipf-like) and every
paragraph gets its own names, so no two stories are alike.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.article import Article, archive_doc

ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "articles"
SYLLABLES = ("ka", "ro", "vel", "tan", "mi", "sor", "dra", "len", "qui", "bo", "zet", "ar",
             "nu", "fel", "gri", "os", "pa", "lum", "ver", "ish", "to", "ban", "cy", "dor")


def article_words() -> list[tuple[str, int]]:
    """(word, count) of the test articles, most frequent first."""
    counts: Counter[str] = Counter()
    for path in sorted(ARTICLES.glob("*.md")):
        counts.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]",
                                                    path.read_text()))
    return counts.most_common()


def invented_names(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        names.add(word.capitalize())
    return sorted(names)


@dataclass
class Story:
    headline: str
    dek: str
    body: list[str]
    names: list[str]


class TextGen:
    def __init__(self, seed: int = 1, pool: int = 20_000, names: int = 30_000) -> None:
        self.rng = random.Random(seed)
        ranked = article_words()
        self.words = [w for w, _ in ranked]
        weights = [1.0 / (rank + 2.7) ** 1.07 for rank in range(len(self.words))]
        self._cum = list(itertools.accumulate(weights))
        self.names = invented_names(names, self.rng)
        self.pool = [self._sentence() for _ in range(pool)]

    def _sentence(self, lo: int = 8, hi: int = 24) -> str:
        words = self.rng.choices(self.words, cum_weights=self._cum, k=self.rng.randint(lo, hi))
        return " ".join(words).capitalize() + "."

    def story(self) -> Story:
        rng = self.rng
        names = rng.sample(self.names, rng.randint(2, 5))
        headline_words = rng.choices(self.words[30:600], k=rng.randint(5, 9))
        headline = f"{names[0]} " + " ".join(headline_words)
        dek = f"{rng.choice(self.pool)} {names[-1]} {rng.choice(self.pool).lower()}"
        body = []
        for i in range(rng.randint(4, 7)):
            sentences = rng.sample(self.pool, rng.randint(2, 4))
            sentences.insert(rng.randrange(len(sentences)),
                             f"{rng.choice(names)} said so on {rng.choice(self.words[:300])}.")
            body.append(" ".join(sentences) + f" [{i % 2 + 1}]")
        return Story(headline.capitalize()[:100], dek[:300], body, names)

    def stories(self, n: int) -> Iterator[Story]:
        for _ in range(n):
            yield self.story()


def as_article(story: Story) -> Article:
    """The generated story as an article with both sections, as a published one has."""
    return Article(headline=story.headline, dek=story.dek, body=tuple(story.body),
                   why_it_matters="Why it matters: " + story.body[0][:200],
                   bottom_line="The bottom line: " + story.dek)


def fill_published(store: Any, n: int, gen: TextGen, *, destinations: int = 0,
                   revisions: bool = False, requested_by: int = 1) -> None:
    """Insert `n` published stories (stories row + archive row, optionally a revision and
    `destinations` sent deliveries each) in ONE transaction through the store's db; the
    archive's FTS5 index is filled by its own triggers."""
    from tests.e2e.helpers import article

    template = article()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    conn = store.db.conn
    with store.atomic():
        dest_ids = []
        for d in range(destinations):
            kind = "announcement" if d == 0 else "subscriber"
            dest, _ = store.outbox.add_destination(kind=kind, guild_id=1, channel_id=10_000 + d,
                                            added_by=requested_by)
            dest_ids.append((dest.id, dest.channel_id, kind))
        for i, story in enumerate(gen.stories(n)):
            at = (start + timedelta(minutes=17 * i)).isoformat()
            cur = conn.execute(
                "INSERT INTO stories (status, origin, topic, headline, requested_by, "
                "current_revision, published_at, created_at, updated_at) "
                "VALUES ('published', 'human', ?, ?, ?, ?, ?, ?, ?)",
                [story.headline[:60], story.headline, requested_by, 1 if revisions else 0,
                 at, at, at])
            story_id = cur.lastrowid
            doc = archive_doc(as_article(story))
            conn.execute("INSERT INTO archive (story_id, headline, dek, body, status, "
                         "published_at) VALUES (?, ?, ?, ?, 'published', ?)",
                         [story_id, doc["headline"], doc["dek"], doc["body"], at])
            if revisions:
                art = template.replace(headline=story.headline, dek=story.dek,
                                       body=tuple(story.body))
                conn.execute("INSERT INTO revisions (story_id, number, article, author_id, "
                             "author_kind, reason, created_at) VALUES (?, 1, ?, ?, 'human', "
                             "'bench', ?)", [story_id, json.dumps(art.to_dict()),
                                             requested_by, at])
                conn.execute("INSERT INTO audit (story_id, actor_id, action, revision, "
                             "to_status, created_at) VALUES (?, ?, 'publish', 1, "
                             "'published', ?)", [story_id, requested_by, at])
            for dest_id, channel_id, kind in dest_ids:
                conn.execute("INSERT INTO deliveries (story_id, destination_id, channel_id, "
                             "state, message_ids, attempts, crosspost, sent_at, created_at, "
                             "updated_at) VALUES (?, ?, ?, 'sent', ?, 1, ?, ?, ?, ?)",
                             [story_id, dest_id, channel_id, json.dumps([story_id * 10 + 1]),
                              "done" if kind == "announcement" else None, at, at, at])


# --------------------------------------------------------------------------- bulk archive

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 10_000


def corpus_key() -> str:
    """Changes when the schema or the text generator changes (a cached corpus is then
    built again)."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in (root / "storage" / "migrations.py", Path(__file__)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cached_archive(n: int, seed: int = 1) -> tuple[Path, float | None]:
    """A newsroom database with `n` published stories in its archive, built once and kept
    under bench/results/ (a rerun reuses it). Returns (path, build seconds or None)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"archive-{n}-seed{seed}-{corpus_key()}.db"
    if path.exists():
        return path, None
    for stale in RESULTS.glob(f"archive-{n}-seed{seed}-*.db*"):
        stale.unlink()
    import time

    started = time.perf_counter()
    building = path.with_name(path.name + ".building")
    for leftover in path.parent.glob(building.name + "*"):
        leftover.unlink()
    build_archive(building, n, TextGen(seed=seed))
    building.rename(path)
    return path, time.perf_counter() - started


def build_archive(path: Path, n: int, gen: TextGen) -> None:
    """`n` published stories (stories row + archive row) written with executemany in one
    transaction with the archive's triggers off and no journal (a failed build is thrown
    away), then every full-text index over the archive rebuilt in bulk and the triggers
    put back: the database the store's own writes would have made, minutes sooner."""
    import sqlite3

    from storage.store import Store

    Store(path).close()  # the schema, by the migrations
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                            "AND tbl_name = 'archive'").fetchall()
    indexes = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%VIRTUAL TABLE%' "
        "AND sql LIKE '%content=\"archive\"%'")]
    start = datetime(2010, 1, 1, tzinfo=UTC)
    conn.execute("BEGIN")
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    for first in range(0, n, CHUNK):
        stories, archive = [], []
        for i in range(first, min(first + CHUNK, n)):
            story = gen.story()
            at = (start + timedelta(minutes=7 * i)).isoformat()
            doc = archive_doc(as_article(story))
            stories.append((i + 1, story.headline[:60], story.headline, at, at, at))
            archive.append((i + 1, doc["headline"], doc["dek"], doc["body"], at))
        conn.executemany(
            "INSERT INTO stories (id, status, origin, topic, headline, requested_by, "
            "current_revision, published_at, created_at, updated_at) "
            "VALUES (?, 'published', 'human', ?, ?, 1, 0, ?, ?, ?)", stories)
        conn.executemany("INSERT INTO archive (story_id, headline, dek, body, status, "
                         "published_at) VALUES (?, ?, ?, ?, 'published', ?)", archive)
    for name in indexes:
        conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
        conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
