"""`/issues/{n}`: an issue's contents on the public archive."""

from __future__ import annotations

from pathlib import Path

from storage.store import Store
from tests.e2e.helpers import article
from tests.storage import steps
from tests.web.conftest import ServerThread

HEADLINES = ("Port strike ends after nine days", "Grid warns of winter strain",
             "Chip rules tighten again")


def build(path: Path) -> list[int]:
    store = Store(path)
    base = article()
    ids = [steps.approved(store, base.replace(headline=h).to_dict(), by=111, topic="t").id
           for h in HEADLINES]
    steps.issue(store, [ids[2], ids[0], ids[1]])
    steps.retract(store, ids[0], reason="Withdrawn.", by=222)
    steps.write(store, base.replace(headline="Secret draft about quantum bananas").to_dict(),
                by=111)
    store.close()
    return ids


def test_an_issue_page_lists_its_stories_in_order_with_a_retraction_struck(tmp_path) -> None:
    ids = build(tmp_path / "newsroom.db")
    with ServerThread(tmp_path / "newsroom.db") as server:
        html = server.text("/issues/1")
        missing, _, body = server.get("/issues/2")
    assert "<h1>Issue 1 · " in html and " · Morning</h1>" in html
    positions = [html.index(f'href="/stories/{i}"') for i in (ids[2], ids[0], ids[1])]
    assert positions == sorted(positions)
    assert f'<s><a class="headline" href="/stories/{ids[0]}">{HEADLINES[0]}</a></s>' in html
    assert html.count(article().dek) == 2  # the two stories still published show their dek
    assert "quantum bananas" not in html
    assert missing == 404 and b"There is no issue 2." in body
