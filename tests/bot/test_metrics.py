"""Route labels of Discord requests: bounded, and never a token."""

from __future__ import annotations

import pytest

from bot.metrics import route_of


@pytest.mark.parametrize(("method", "path", "route"), [
    ("post", "/api/v10/channels/1234567890123/messages", "POST /channels/{id}/messages"),
    ("PATCH", "/api/v10/channels/12/messages/34", "PATCH /channels/{id}/messages/{id}"),
    ("POST", "/api/v10/interactions/987654321/aW50ZXJhY3Rpb246OTg3NjU0MzIx/callback",
     "POST /interactions/{id}/{token}/callback"),
    ("PATCH", "/api/v10/webhooks/55/lowercasetokenonly/messages/@original",
     "PATCH /webhooks/{id}/{token}/messages/@original"),
    ("POST", "/api/v10/channels/5/messages/6/crosspost",
     "POST /channels/{id}/messages/{id}/crosspost"),
    ("GET", "/api/v10/gateway/bot", "GET /gateway/bot"),
    ("GET", "/api/v10/applications/@me", "GET /applications/@me"),
    ("POST", "/api/v10/webhooks/55/MixedCase.Token-x/", "POST /webhooks/{id}/{token}"),
    ("GET", "/api/v10/users/@Someone", "GET /users/{token}"),
])
def test_route_templates(method: str, path: str, route: str) -> None:
    assert route_of(method, path) == route
