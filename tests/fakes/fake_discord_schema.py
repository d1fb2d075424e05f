"""Request bodies checked against Discord's own OpenAPI description (API v10).

Discord publishes an OpenAPI 3.1 description of its HTTP API (a copy with its licence is in
``tests/fakes/reference/``). The fake Discord validates the JSON body of every request it
receives (the ``payload_json`` part of a multipart request included) against the request
schema of the matching route, so a body Discord would refuse fails the test that sent it
instead of passing against a fake that is friendlier than Discord.

The validators are compiled once per (method, route) for the whole test session; ``$ref``s
resolve inside the one loaded document through a ``referencing`` registry. Discord's
unions are discriminated (components by ``type``, enums as ``oneOf`` of ``const``s), so
``FastValidator`` goes straight to the branch an object names instead of trying all of
them: about 0.7 ms instead of 3 ms for a card with buttons, the same verdicts (tested).

Where discord.py sends something the description spells differently but Discord accepts,
``ALLOWANCES`` below widens the description, each with its reason. It is the only place
the fake departs from the description.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).parent / "reference" / "discord-openapi.json"
SPEC_URI = "urn:discord:openapi:v10"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _snowflake_or_integer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "integer", "minimum": 0}]}


def _permissions_as_string(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "string", "pattern": "^[0-9]+$"}]}


Patch = Callable[[dict[str, Any]], dict[str, Any]]

ALLOWANCES: dict[str, tuple[str, Patch, str]] = {
    # JSON pointer in the description -> (what is allowed, how, why Discord accepts it)
    "/components/schemas/SnowflakeType": (
        "ids as JSON integers", _snowflake_or_integer,
        "discord.py sends ids as ints (recipient_id, attachments[].id); Discord parses both",
    ),
}
"""The one documented list of what discord.py sends that the description types otherwise."""

@dataclass(frozen=True)
class Violation:
    """A request body Discord's description rejects: which route, which field, why."""

    method: str
    route: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.route}: {self.field or '(body)'}: {self.message}"

    def form_errors(self) -> dict[str, Any]:
        """Discord's nested 50035 ``errors`` object for this field."""
        tree: dict[str, Any] = {}
        node = tree
        for part in [p for p in self.field.split(".") if p]:
            node = node.setdefault(part, {})
        node["_errors"] = [{"code": "SCHEMA_INVALID", "message": self.message}]
        return tree


def _pointer_get(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _pointer_escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


@cache
def spec() -> dict[str, Any]:
    """The description with ``ALLOWANCES`` applied (loaded once per process)."""
    document = json.loads(SPEC_FILE.read_text())
    document["$id"] = SPEC_URI
    for pointer, (_, patch, _) in ALLOWANCES.items():
        parent, _, key = pointer.rpartition("/")
        holder = _pointer_get(document, parent)
        holder[key] = patch(copy.deepcopy(holder[key]))
    return document


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


@dataclass(frozen=True)
class _Route:
    template: str
    regex: re.Pattern[str]
    literals: int


@cache
def _routes(method: str) -> tuple[_Route, ...]:
    """The description's paths having ``method``, most literal segments first."""
    out = []
    for template, item in spec()["paths"].items():
        if method.lower() not in item:
            continue
        parts = template.strip("/").split("/")
        regex = "^/" + "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        literals = sum(not p.startswith("{") for p in parts)
        out.append(_Route(template, re.compile(regex + "/?$"), literals))
    return tuple(sorted(out, key=lambda r: -r.literals))


def route_for(method: str, path: str) -> str | None:
    """The description's path template for a request path (``@original`` beats ``{id}``)."""
    for route in _routes(method):
        if route.regex.match(path):
            return route.template
    return None


NULL = {"type": "null"}


def _deref(schema: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) to the schema they name."""
    while isinstance(schema, dict) and str(schema.get("$ref", "")).startswith("#/"):
        schema = _pointer_get(spec(), schema["$ref"][1:])
    return schema


_unions: dict[int, dict[Any, int] | None] = {}


def _discriminators(branches: list[Any]) -> dict[Any, int] | None:
    """Discord's unions are told apart by an object's ``type``: value -> branch index,
    or None when the branches are not all objects with one distinct ``type`` each."""
    key = id(branches)
    if key not in _unions:
        mapping: dict[Any, int] | None = {}
        for index, branch in enumerate(branches):
            if branch == NULL:
                continue
            kind = (_deref(branch).get("properties") or {}).get("type") or {}
            values = kind.get("enum") or ([kind["const"]] if "const" in kind else [])
            if len(values) != 1 or mapping is None or values[0] in mapping:
                mapping = None
                break
            mapping[values[0]] = index
        _unions[key] = mapping
    return _unions[key]


_ANNOTATIONS = frozenset({"title", "description", "const"})
_constants: dict[int, frozenset[tuple[type, Any]] | None] = {}


def _enumeration(branches: list[Any]) -> frozenset[tuple[type, Any]] | None:
    """The values of an enum written as ``oneOf: [{const: 1, title: ...}, ...]``."""
    key = id(branches)
    if key not in _constants:
        values = [b["const"] for b in branches
                  if isinstance(b, dict) and "const" in b and set(b) <= _ANNOTATIONS]
        _constants[key] = (frozenset((type(v), v) for v in values)
                           if len(values) == len(branches) else None)
    return _constants[key]


def _union(keyword: str) -> Any:
    """oneOf/anyOf that go straight to the branch an object's ``type`` names, or look an
    enum's value up (what the generic keyword finds after trying every branch, at a
    fraction of the cost); anything else, and every failure, gets the generic keyword."""
    generic = Draft202012Validator.VALIDATORS[keyword]

    def check(validator: Any, branches: list[Any], instance: Any, schema: Any) -> Any:
        enumeration = _enumeration(branches)
        if enumeration is not None and (type(instance), instance) in enumeration:
            return
        others = [i for i, b in enumerate(branches) if b != NULL]
        if instance is None and len(others) < len(branches):
            return
        if isinstance(instance, dict) and len(others) == 1 and len(branches) == 2:
            yield from validator.descend(instance, branches[others[0]], schema_path=others[0])
            return
        mapping = _discriminators(branches) if isinstance(instance, dict) else None
        chosen = mapping.get(instance.get("type")) if mapping else None
        if chosen is not None and not isinstance(instance.get("type"), bool):
            yield from validator.descend(instance, branches[chosen], schema_path=chosen)
            return
        yield from generic(validator, branches, instance, schema)

    return check


FastValidator = validators.extend(
    Draft202012Validator, {"oneOf": _union("oneOf"), "anyOf": _union("anyOf")})


@cache
def validator(method: str, template: str, *, fast: bool = True
              ) -> Draft202012Validator | None:
    """The compiled validator of a route's JSON request body; None if it takes none.
    (`fast=False`: the plain Draft 2020-12 validator, to check the fast one against.)"""
    operation = spec()["paths"][template][method.lower()]
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "application/json" not in content:
        return None
    pointer = "/".join(
        ["#/paths", _pointer_escape(template), method.lower(),
         "requestBody/content/application~1json/schema"])
    kind = FastValidator if fast else Draft202012Validator
    return kind({"$ref": SPEC_URI + pointer}, registry=_registry())


def _discriminated(error: ValidationError, branch: list[ValidationError]) -> tuple[int, ...]:
    """Rank a failed union branch: Discord's unions are told apart by their ``type``, so a
    branch whose ``type`` matched explains the failure best; then the fewest, deepest errors."""
    type_path = [*error.absolute_path, "type"]
    wrong_type = any(list(e.absolute_path) == type_path for e in branch)
    depth = max(len(e.absolute_path) for e in branch)
    return (wrong_type, len(branch), -depth)


def _explain(error: ValidationError) -> ValidationError:
    """The error inside anyOf/oneOf unions that says which field is wrong."""
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for inner in error.context:
            branches.setdefault(inner.relative_schema_path[0], []).append(inner)
        branch = min(branches.values(), key=lambda b: _discriminated(error, b))
        error = max(branch, key=lambda e: len(e.absolute_path))
    return error


def _field(error: ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            path.append(missing.group(1))
    return ".".join(path)


class BodyChecker:
    """Validates request bodies and keeps the count a session summary reports."""

    validated = 0
    """Bodies validated in this process (every fake together)."""
    refused = 0
    """Of those, bodies the description rejected."""

    def check(self, method: str, path: str, body: Any) -> Violation | None:
        """None when Discord's description accepts ``body`` for this request."""
        if method not in BODY_METHODS:
            return None
        template = route_for(method, path)
        if template is None:
            if body is None:
                return None
            BodyChecker.refused += 1
            return Violation(method, path, "", "route missing from Discord's API description")
        checker = validator(method, template)
        if checker is None:
            if body in (None, {}, b"", ""):
                return None
            BodyChecker.refused += 1
            return Violation(method, template, "", "this route takes no request body")
        if body is None:
            body = {}
        BodyChecker.validated += 1
        error = best_match(checker.iter_errors(body))
        if error is None:
            return None
        error = _explain(error)
        BodyChecker.refused += 1
        return Violation(method, template, _field(error), _describe(error))


_BOUNDS = {
    "maxLength": ("at most {} characters", len),
    "minLength": ("at least {} characters", len),
    "maxItems": ("at most {} items", len),
    "minItems": ("at least {} items", len),
}


def _describe(error: ValidationError, limit: int = 300) -> str:
    """The schema's complaint, with sizes instead of a copy of a long value."""
    if error.validator in _BOUNDS and isinstance(error.instance, str | list):
        text, size = _BOUNDS[str(error.validator)]
        return f"must be {text.format(error.validator_value)}, is {size(error.instance)}"
    message = error.message
    return message if len(message) <= limit else message[: limit - 3] + "..."
