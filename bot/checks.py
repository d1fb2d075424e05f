"""Pre-publish checks (spec section 3): what must be true before a story may be approved.

The checks are registered in two modules: `bot.form_checks` (the article's form) and
`bot.grounding_checks` (its substance, compared with the sources' text); `CHECKS` lists
them all in the order they run. `run_checks` returns one `Finding` per check that applies,
whether it passed or not, so a review card and `newsroom check` can show the full list.
Names are stable: they are stored with overrides and listed in tests/articles.

Required checks block approval (an editor may override with a reason); recommended ones
are warnings. Every message says what to fix and quotes the offending text briefly.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.article import Article
from bot.article_markdown import ArticleFormatError
from bot.check_base import Check, CheckContext, Finding, Severity
from bot.form_checks import FORM_CHECKS
from bot.grounding import Grounding
from bot.grounding_checks import GROUNDING_CHECKS

__all__ = ["CHECKS", "Check", "CheckContext", "Finding", "Severity", "blocking", "check_files",
           "run_checks", "summary_line"]

log = logging.getLogger(__name__)

CHECKS: list[Check] = [*FORM_CHECKS, *GROUNDING_CHECKS]
"""Every check in the order `run_checks` runs them."""
SOURCE_SUFFIXES = (".txt", ".md", ".markdown", ".text")

# --------------------------------------------------------------------------- running

_DEFAULT_CONTEXT = CheckContext()


def run_checks(article: Article, ctx: CheckContext = _DEFAULT_CONTEXT) -> list[Finding]:
    """Every check that applies (the grounding ones need `ctx.grounding`), passed or not,
    in the stable order of `CHECKS`."""
    return [_run_one(check, article, ctx) for check in CHECKS if check.applies(ctx)]


def _run_one(check: Check, article: Article, ctx: CheckContext) -> Finding:
    """Run one check; a check that crashes fails (with the error) rather than hiding."""
    severity = check.severity
    try:
        ok, message, *rest = check.run(article, ctx)
        severity = rest[0] if rest else severity
    except Exception as exc:
        log.exception("check %s crashed", check.name)
        ok, message = False, f"the check could not run: {exc}"
    return Finding(check=check.name, severity=severity, ok=ok, message=message)


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The failed required findings: what stops an approval."""
    return [f for f in findings if not f.ok and f.severity is Severity.REQUIRED]


def summary_line(findings: Sequence[Finding]) -> str:
    """A one-line summary for a card, e.g. "9/10 required checks pass, 1 warning"."""
    required = [f for f in findings if f.severity is Severity.REQUIRED]
    passed = sum(f.ok for f in required)
    warnings = sum(not f.ok for f in findings if f.severity is Severity.RECOMMENDED)
    tail = "no warnings" if not warnings else f"{warnings} warning" + ("s" if warnings > 1 else "")
    return f"{passed}/{len(required)} required checks pass, {tail}"


# --------------------------------------------------------------------------- command line


class Unreadable(Exception):
    """A file `newsroom check` cannot read or parse; the message says which and why."""


def check_files(
    paths: list[str],
    *,
    out: TextIO,
    err: TextIO,
    ctx_for_path: Callable[[str], CheckContext] | None = None,
    sources: str | None = None,
    year: int | None = None,
) -> int:
    """`newsroom check FILE... [--sources DIR]`: print every finding per file; return the
    exit code.

    2 when any file (an article or a source text) cannot be read or parsed (said on `err`;
    the other files are still checked), else 1 when any required check fails in any file,
    else 0. An article without a headline is read and fails the headline check. With
    `sources`, the grounding checks run against DIR/1.txt, DIR/2.md... (`year`: the
    publication year, this year by default).
    """
    code = 0
    for path in paths:
        try:
            article = _load(path)
            ctx = ctx_for_path(path) if ctx_for_path else _DEFAULT_CONTEXT
            if sources is not None:
                grounding = source_dir_grounding(Path(sources), article, year)
                ctx = dataclasses.replace(ctx, grounding=grounding)
        except Unreadable as exc:
            print(exc, file=err)
            code = 2
            continue
        findings = run_checks(article, ctx)
        _print_findings(path, findings, out)
        if blocking(findings) and code == 0:
            code = 1
    return code


def _load(path: str) -> Article:
    """Read and parse one file, or raise `Unreadable` saying why not."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{path}: cannot read: {exc}") from None
    try:
        return Article.from_markdown(text, headline_required=False)
    except ArticleFormatError as exc:
        raise Unreadable(f"{path}: cannot parse: {exc}") from None


def source_dir_grounding(folder: Path, article: Article, year: int | None) -> Grounding:
    """Source texts for the article's Sources list from FOLDER/N.txt (or .md...): a number
    without a file has no stored text."""
    if not folder.is_dir():
        raise Unreadable(f"{folder}: cannot read sources: not a directory")
    texts: dict[int, str | None] = {}
    for number in range(1, len(article.sources) + 1):
        texts[number] = None
        for suffix in SOURCE_SUFFIXES:
            candidate = folder / f"{number}{suffix}"
            if candidate.exists():
                try:
                    texts[number] = candidate.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise Unreadable(f"{candidate}: cannot read: {exc}") from None
                break
    extra = tuple(s.line() for s in article.sources)
    return Grounding(texts, year=year or date.today().year, extra_names=extra)


def _print_findings(path: str, findings: Sequence[Finding], out: TextIO) -> None:
    """One line per finding, failures marked FAIL (required) or WARN (recommended)."""
    print(f"{path}: {summary_line(findings)}", file=out)
    width = max(len(f.check) for f in findings)
    for f in findings:
        status = "ok" if f.ok else ("FAIL" if f.severity is Severity.REQUIRED else "WARN")
        print(f"  {status:<4}  {f.severity:<11}  {f.check:<{width}}  {f.message}", file=out)
