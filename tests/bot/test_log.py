"""Log lines: JSON for collectors, with the story and delivery ids, secrets redacted."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from bot.log import JsonFormatter, log_context, setup_logging


def capture(secrets: tuple[str, ...] = ()) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets))
    logger = logging.getLogger("newsroom.test.json")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_one_json_object_per_line_with_the_ids_of_its_task() -> None:
    logger, stream = capture()

    async def deliver(story: int, delivery: int) -> None:
        with log_context(story_id=story, delivery_id=delivery):
            await asyncio.sleep(0)
            logger.info("sent part %d\nof 2", 1)

    await asyncio.gather(deliver(7, 70), deliver(8, 80))
    logger.warning("no context here")
    first, second, third = lines(stream)
    assert {(first["story_id"], first["delivery_id"]), (second["story_id"],
                                                        second["delivery_id"])} == \
        {(7, 70), (8, 80)}
    assert first["message"] == "sent part 1\nof 2" and first["level"] == "INFO"
    assert first["logger"] == "newsroom.test.json" and first["time"].endswith("+00:00")
    assert "story_id" not in third and third["level"] == "WARNING"


def test_secrets_are_redacted_in_messages_and_tracebacks() -> None:
    token = "MTIzNDU2Nzg5.secret-token-value"
    logger, stream = capture((token,))
    try:
        raise RuntimeError(f"login failed with {token}")
    except RuntimeError:
        logger.exception("token %s and /interactions/123/aW50ZXJhY3Rpb25Ub2tlbg here", token)
    [line] = lines(stream)
    assert token not in stream.getvalue()
    assert "[redacted]" in line["message"] and "[redacted]" in line["exception"]
    assert "aW50ZXJhY3Rpb25Ub2tlbg" not in line["message"]


def test_setup_logging_picks_the_format() -> None:
    setup_logging("INFO", (), "json")
    root = logging.getLogger()
    try:
        assert any(isinstance(h.formatter, JsonFormatter) for h in root.handlers
                   if getattr(h, "_newsroom", False))
    finally:
        setup_logging("INFO", (), "text")
