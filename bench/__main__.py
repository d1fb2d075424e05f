"""Run every benchmark (each in its own process) and print one summary table.

    .venv/bin/python -m bench            # the full run (a few minutes)
    .venv/bin/python -m bench --quick    # smaller sizes (about a minute)
    .venv/bin/python -m bench --only fanout,search

Benchmarks print figures; they never fail on time. A benchmark that crashes is shown
as FAILED in the table and makes the exit status 1. After the summary, the figures that
have a goal (issue 13) are printed in one more table: each figure as measured in this
run, its goal, the figure over its goal, and whether it is met.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("fanout", "search", "startup", "loop_lag", "drafting", "grounding", "web",
           "prompt_cache", "issue_fanout")


def run_one(name: str, flags: list[str], out: Path) -> tuple[int, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", f"bench.{name}", *flags, "--summary", str(out)],
                          cwd=ROOT, check=False)
    return proc.returncode, time.monotonic() - started


def table(rows: list[list[str]], right: tuple[int, ...] = (2,)) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                 enumerate(zip(row, widths, strict=True))]
        lines.append(" | ".join(cells).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


GOAL_ORDER = ("fan-out time / bound", "global 429s during the fan-out",
              "interaction ack p99 / bare bot p99", "idle RSS after start-up",
              "start-up to ready", "archive search p95")


def goal_rows(goals: list[dict]) -> list[list[str]]:
    def order(goal: dict) -> tuple[int, str]:
        ranks = [i for i, prefix in enumerate(GOAL_ORDER) if goal["figure"].startswith(prefix)]
        return (ranks[0] if ranks else len(GOAL_ORDER), goal["figure"])

    rows = [["figure", "measured", "goal", "/ goal", "met", "made of"]]
    for goal in sorted(goals, key=order):
        value, target = goal["value"], goal["goal"]
        over = f"{value / target:.2f}" if target else "-"
        met = "yes" if value <= target else "NO"
        rows.append([goal["figure"], goal["shown"], goal["goal_shown"], over, met,
                     goal["detail"]])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the newsroom benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller, faster runs")
    parser.add_argument("--shared-loop", action="store_true",
                        help="fakes on the bot's event loop (fanout, loop_lag, drafting)")
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHES)}")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    flags = ["--quick"] if args.quick else []
    rows = [["bench", "metric", "value", "unit", "note"]]
    goals: list[dict] = []
    failed = []
    total = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as tmp:
        for name in names:
            extra = ["--shared-loop"] if args.shared_loop and name not in ("search", "startup") \
                else []
            out = Path(tmp) / f"{name}.json"
            code, wall = run_one(name, flags + extra, out)
            data = json.loads(out.read_text()) if out.exists() else {"rows": []}
            goals += data.get("goals", [])
            if code != 0:
                failed.append(name)
                rows.append([name, "FAILED", f"exit {code}", "", "see its output above"])
            for row in data["rows"]:
                note = textwrap.shorten(row["note"], 60, placeholder="...")
                rows.append([row["bench"], row["metric"], row["value"], row["unit"], note])
            rows.append([name, "wall time of this benchmark", f"{wall:.0f}", "s", ""])
    mode = "quick" if args.quick else "full"
    print(f"\n=== summary ({mode} run, {time.monotonic() - total:.0f} s in all, "
          f"{len(names) - len(failed)}/{len(names)} benchmarks completed)\n")
    print(table(rows))
    if goals:
        print(f"\n=== figures and goals (issue 13), {mode} run\n")
        print(table(goal_rows(goals), right=(1, 3)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
