"""(f) The grounding checks' run time: `run_checks` on a 2,000-word article with five
20,000-character sources (goal: under 50 ms).

The sources are generated sentences (bench/_corpus.py) sprinkled with what the checks
look for: figures in several formats, dates, invented names and quotable sentences. The
article is built from them the way a drafted article is: each paragraph takes sentences,
figures, a quotation and names from the sources it cites, so every check runs to the end
(nothing is cut short by an early failure). Measured cold (the sources' indexes built
within the run, as for the first check of a new draft) and warm (the same sources checked
again: the card, `/review checks` and an approval reuse the last 64 texts' indexes).

Run: .venv/bin/python -m bench.grounding [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from bench._corpus import TextGen
from bench._harness import Report, fmt, ms, run_main
from bot.article import Article, Source, disclosure_text
from bot.check_base import CheckContext
from bot.checks import CHECKS, run_checks
from bot.grounding import Grounding, source_index
from bot.prose import count_words

SOURCES, SOURCE_CHARS, ARTICLE_WORDS = 5, 20_000, 2_000
FIGURES = ("{a},{b:03d} containers", "{p}%", "${a} million", "{a}.{c} billion",
           "{d} November 2025", "{a}{b:03d} jobs", "{p} percent")


def fact(rng: random.Random, gen: TextGen) -> str:
    """A sentence with a figure and a name, as a source would state it."""
    figure = rng.choice(FIGURES).format(a=rng.randint(1, 99), b=rng.randint(0, 999),
                                        c=rng.randint(1, 9), d=rng.randint(1, 28),
                                        p=rng.randint(2, 95))
    return f"{rng.choice(gen.names)} said the figure was {figure} in {rng.choice(gen.words[:300])}."


def make_sources(rng: random.Random, gen: TextGen) -> list[list[str]]:
    """Five sources as lists of sentences, each about 20,000 characters."""
    sources = []
    for _ in range(SOURCES):
        sentences, size = [], 0
        while size < SOURCE_CHARS:
            sentence = fact(rng, gen) if rng.random() < 0.3 else rng.choice(gen.pool)
            sentences.append(sentence)
            size += len(sentence) + 1
        sources.append(sentences)
    return sources


def make_article(rng: random.Random, sources: list[list[str]]) -> Article:
    """About 2,000 words, every paragraph citing one or two sources and using their text."""
    body, words, used = [], 0, set()

    def pick(n: int) -> str:  # a sentence not used yet (a repeat would fail no_repetition)
        sentence = rng.choice(sources[n - 1])
        while sentence in used:
            sentence = rng.choice(sources[n - 1])
        used.add(sentence)
        return sentence

    while words < ARTICLE_WORDS:
        cited = sorted(rng.sample(range(1, SOURCES + 1), rng.randint(1, 2)))
        sentences = [pick(n) for n in cited for _ in range(3)]
        quoted = pick(cited[0]).rstrip(".")
        sentences.append(f'One official said: "{quoted}."')
        paragraph = " ".join(sentences) + " " + "".join(f"[{n}]" for n in cited)
        body.append(paragraph)
        words += count_words(paragraph)
    return Article(headline="Generated story for the grounding benchmark",
                   dek="A generated article. It cites five generated sources.", body=tuple(body),
                   why_it_matters="It measures the checks [1].", bottom_line="Fast enough.",
                   sources=tuple(Source(f"Source {n}", "Bench") for n in range(1, 6)),
                   disclosure=disclosure_text("ClawNews"))


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    runs = 10 if args.quick else 40
    rng = random.Random(12)
    gen = TextGen(seed=12, pool=3_000, names=2_000)
    sources = make_sources(rng, gen)
    texts = {n: " ".join(s) for n, s in enumerate(sources, start=1)}
    article = make_article(rng, sources)
    report.header("run_checks with the grounding checks", runs=runs,
                  article_words=article.word_count(),
                  source_chars=[len(t) for t in texts.values()])
    totals, warm, per_check = [], [], {c.name: [] for c in CHECKS}
    for _ in range(runs):
        source_index.cache_clear()  # cold: the sources are indexed within the run
        started = time.perf_counter()
        findings = run_checks(article, CheckContext(grounding=Grounding(texts, year=2026)))
        totals.append(time.perf_counter() - started)
        started = time.perf_counter()  # warm: the same sources checked again (card, approve)
        run_checks(article, CheckContext(grounding=Grounding(texts, year=2026)))
        warm.append(time.perf_counter() - started)
        for check in CHECKS:  # each check alone, cold, for the breakdown
            source_index.cache_clear()
            fresh = CheckContext(grounding=Grounding(texts, year=2026))
            t0 = time.perf_counter()
            check.run(article, fresh)
            per_check[check.name].append(time.perf_counter() - t0)
    failed = [f"{f.check}: {f.message[:80]}" for f in findings if not f.ok]
    report.row("all checks, sources not indexed yet, median",
               fmt(ms(statistics.median(totals))), "ms",
               "2,000 words, five 20,000-char sources; goal < 50 ms")
    report.line("all checks, sources not indexed yet, max", fmt(ms(max(totals))), "ms")
    report.row("all checks, sources indexed (checked again), median",
               fmt(ms(statistics.median(warm))), "ms", "the card, /review checks, approval")
    for name in ("quotes", "figures", "cited_text", "names"):
        report.line(f"  {name} alone (indexing included), median",
                    fmt(ms(statistics.median(per_check[name]))), "ms")
    slowest = max((n for n in per_check if n not in {"quotes", "figures", "names"}),
                  key=lambda n: statistics.median(per_check[n]))
    report.line(f"  slowest form check ({slowest}), median",
                fmt(ms(statistics.median(per_check[slowest]))), "ms")
    if failed:
        report.note("failed findings on the generated article: " + "; ".join(failed))


def main() -> None:
    run_main("grounding", "Run time of the grounding checks", body)


if __name__ == "__main__":
    main()
