"""(f) Prompt cache: how much of each request to Claude is read from the cache.

A mixed run of 20 drafts through the real bot and the fake Anthropic (whose cache keys
the prefix tools -> system -> messages, as the API does): 13 `/draft request`s with
pasted text, PDF and URL sources in turn (each URL story on a domain of its own), then
7 `/draft revise` of stories among them, one after another. For every request to
/v1/messages the fake's answer is compared with the prompt it answered:

  system prompt read   cache_read_input_tokens covers the prefix up to the end of the
                       system prompt (tools + system)
  documents read       (revisions) cache_read_input_tokens covers the prefix up to the
                       end of the story's last document block

Revisions of a story with URL sources only have no document block (their pages are
fetched again during the turn) and are reported apart.

Run: .venv/bin/python -m bench.prompt_cache [--quick] [--shared-loop]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench._harness import Report, newsroom, run_main
from tests.fakes.fake_anthropic import FakeAnthropic, prompt_segments

PASTED = ("1) The {place} harbour authority said on Monday that container traffic fell "
          "{n} percent in October after the strike. Ships waited up to four days for a "
          "berth. 2) The dockworkers' union said its {n}00 members will return to work on "
          "Wednesday after accepting a pay rise.")
PAGE = ("{place} port reopens\n\nThe {place} port authority said on Friday that the port "
        "reopened after a three-week strike, and that {n} ships were waiting for a berth.")
PLACES = ["Eastham", "Westport", "Northby", "Southsea", "Ambleton", "Brightwater", "Calder",
          "Dunmore", "Elsworth", "Fairhaven", "Glenrock", "Harlow", "Ivybridge"]
# (pasted text, PDF file, URL) per request; revisions then redraft these stories
MIX = [(1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 0, 0), (1, 0, 1), (0, 0, 1), (0, 1, 0),
       (1, 0, 0), (0, 1, 1), (1, 0, 0), (1, 0, 1), (1, 1, 0), (0, 0, 1)]
REVISE = [1, 2, 3, 7, 9, 12, 13]


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF the fake can read (see tests/fakes/test_fake_anthropic.py)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"3 0 obj << /Type /Page /Contents 4 0 R >> endobj\n"
            + f"4 0 obj << /Length {len(content)} >>\nstream\n".encode() + content
            + b"\nendstream\nendobj\n%%EOF\n")


class CacheLedger(FakeAnthropic):
    """The fake Anthropic, noting for each answer what it read from the cache and how
    long the system and document prefixes of its prompt were."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ledger: list[dict[str, Any]] = []

    def _finish(self, body: Any, reply: Any) -> Any:
        reply, usage = super()._finish(body, reply)
        segments = prompt_segments(body)
        system = sum(s.tokens for s in segments if not s.key.startswith(("user", "assistant")))
        last_doc = max((i for i, s in enumerate(segments) if s.key.startswith("user")
                        and '"type": "document"' in s.key), default=None)
        docs = sum(s.tokens for s in segments[:last_doc + 1]) if last_doc is not None else None
        text = "".join(str(b.get("text", "")) for m in body["messages"] if m["role"] == "user"
                       for b in m["content"] if isinstance(b, dict))
        self.ledger.append({"read": usage.cache.read, "system": system, "docs": docs,
                            "revision": "<current_draft>" in text,
                            "continued": body["messages"][-1]["role"] == "assistant"})
        return reply, usage


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    report.header("20 drafts: 13 requests (pasted text, PDF, URL sources) then 7 revisions",
                  sources="see MIX in bench/prompt_cache.py", length="brief",
                  fakes="shared loop" if args.shared_loop else "own thread + loop")
    async with newsroom(tmp, own_thread=not args.shared_loop, anthropic_factory=CacheLedger
                        ) as (fakes, _room):
        claude = fakes.claude
        for number, (pasted, pdf, url) in enumerate(MIX, start=1):
            await _request(fakes, claude, number, pasted, pdf, url)
        for story in REVISE:
            await _revise(fakes, story)
        ledger = list(claude.ledger)
    _print(report, ledger)


async def _request(fakes: Any, claude: Any, number: int, pasted: int, pdf: int,
                   url: int) -> None:
    place = PLACES[number - 1]
    sources = [PASTED.format(place=place, n=number + 3)] if pasted else []
    if url:
        link = f"https://news{number}.example.org/{place.lower()}"
        await fakes.sync(claude.web_pages.__setitem__, link, PAGE.format(place=place, n=number))
        sources.insert(0, link)
    options: dict[str, Any] = {"topic": f"{place} harbour strike ends", "length": "brief"}
    if sources:
        options["sources"] = " ".join(sources)
    files = {"file": (f"{place.lower()}.pdf", pdf_bytes(
        f"The {place} port handled {number}.2 million containers in 2026."),
        "application/pdf")} if pdf else None
    handle = await fakes.invoke("editor1", "draft request", options, attachments=files)
    await fakes.call(handle.wait_final(lambda m: "ready for review" in m.get("content", ""),
                                       timeout=60))


async def _revise(fakes: Any, story: int) -> None:
    handle = await fakes.invoke("editor1", "draft revise",
                                {"story": story, "instructions": "Lead with the pay deal."})
    await fakes.call(handle.wait_final(lambda m: "ready for review" in m.get("content", ""),
                                       timeout=60))


def _print(report: Report, ledger: list[dict[str, Any]]) -> None:
    after_first = ledger[1:]
    system_hits = sum(e["read"] >= e["system"] for e in after_first)
    revisions = [e for e in ledger if e["revision"] and not e["continued"]]
    with_docs = [e for e in revisions if e["docs"] is not None]
    doc_hits = sum(e["read"] >= e["docs"] for e in with_docs)
    report.line("requests to /v1/messages", str(len(ledger)), "",
                f"{sum(e['continued'] for e in ledger)} continuing a paused turn")
    report.row("requests after the first reading the system prompt from cache",
               f"{system_hits}/{len(after_first)}", "",
               f"{100 * system_hits / max(len(after_first), 1):.0f}%")
    report.row("revisions reading their documents from cache", f"{doc_hits}/{len(with_docs)}",
               "", f"{100 * doc_hits / max(len(with_docs), 1):.0f}%")
    report.line("revisions of URL-only stories (no document block)",
                str(len(revisions) - len(with_docs)))
    read = sum(e["read"] for e in ledger)
    report.line("tokens read from the cache, all requests", f"{read:,}", "tokens")


def main() -> None:
    run_main("prompt_cache", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
