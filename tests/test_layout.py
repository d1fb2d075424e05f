"""The shape of the code, checked: the lifecycle owns every story state, imports run one
way without cycles, and modules stay small enough to read.

These read the source (no import is executed), so a failure names the file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from bot.lifecycle import State
from storage.states import CrosspostState, DeliveryState, JobState
from tests.conftest import ROOT

PACKAGES = ("bot", "cogs", "storage")
MAX_LINES = 400
STATE_OWNERS = {"bot/lifecycle.py", "storage/states.py", "storage/migrations.py",
                "storage/migrations_first.py"}
NOT_A_STATE = {
    ("bot/web/feeds.py", "published"): "Atom's <published> element (RFC 4287)",
    ("storage/meta.py", "published"): "the edition_runs column counting stories published",
}
STATES = {s.value for s in State}
SHARED = STATES & {s.value for e in (DeliveryState, JobState, CrosspostState) for s in e}
"""'failed' is also a delivery's, a job's and a crosspost's state: SQL about those
tables spells it; Python code names it through its enum either way."""
QUOTED = re.compile(r"'(" + "|".join(sorted(STATES - SHARED)) + r")'")


def sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants (prose may name a state)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def bare_states(name: str, tree: ast.Module) -> Iterator[str]:
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in skip or (name, node.value) in NOT_A_STATE:
            continue
        if node.value in STATES or QUOTED.search(node.value):
            yield f"{name}:{node.lineno}: {node.value[:70]!r}"


def test_no_story_state_is_spelled_outside_the_lifecycle() -> None:
    """States are `State` members (SQL takes them as parameters or from the enum), so the
    lifecycle table is the one place to read or change them."""
    found = [hit for name, tree in sources() if name not in STATE_OWNERS
             for hit in bare_states(name, tree)]
    assert found == [], "bare story states:\n" + "\n".join(found)


# ---- imports -------------------------------------------------------------------------

def module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def imports(tree: ast.Module, known: set[str]) -> Iterator[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every first-party import."""
    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, in_function
            elif isinstance(child, ast.ImportFrom) and child.module:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    yield (full if full in known else child.module), child.lineno, in_function
            yield from walk(child, nested)
    return (hit for hit in walk(tree, False) if hit[0] in known)


def graph() -> tuple[dict[str, set[str]], list[tuple[str, str, int]]]:
    trees = {module_name(name): tree for name, tree in sources()}
    known = set(trees)
    edges: dict[str, set[str]] = {m: set() for m in trees}
    inside: list[tuple[str, str, int]] = []
    for module, tree in trees.items():
        for target, line, in_function in imports(tree, known):
            if target != module:
                edges[module].add(target)
            if in_function:
                inside.append((module, target, line))
    return edges, inside


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    """Function-level imports count too: moving an import into a function hides a cycle
    from Python, not from the reader."""
    assert cycles(graph()[0]) == []


def test_imports_run_from_the_cogs_to_the_services_to_the_store() -> None:
    edges, _ = graph()
    upward = [f"{a} -> {b}" for a, targets in edges.items() for b in targets
              if (a.startswith("storage.") and not b.startswith("storage."))
              or (a.startswith("bot.") and b.startswith("cogs."))]
    assert upward == []


def test_first_party_imports_are_at_the_top_of_modules() -> None:
    """Except in the command line, which loads discord.py only for the commands that
    connect (`newsroom check` and `backup` start fast)."""
    _, inside = graph()
    assert [f"{m}:{line} imports {t}" for m, t, line in inside if m != "bot.cli"] == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_modules_stay_short() -> None:
    long = {name: n for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_LINES
            for name in [path.relative_to(ROOT).as_posix()]}
    assert long == {}
