"""Known secret values never reach the log, the errors shown to members, or the database."""

from __future__ import annotations

from tests.e2e.conftest import newsroom_env
from tests.e2e.process import BotProcess
from tests.e2e.test_drafting import SOURCES
from tests.fakes.fake_anthropic import FakeAnthropic, Overloaded
from tests.fakes.fake_discord import FakeDiscord

TOKEN = "MTA1ODg5NzM0MzI4NzM5NDMwNA.secret-bot-token-value"
API_KEY = "sk-ant-api03-secret-key-value-for-tests"


async def test_secrets_stay_out_of_logs_errors_and_database(tmp_path) -> None:
    async with FakeDiscord(token=TOKEN) as fake, FakeAnthropic(api_key=API_KEY) as claude:
        env = {**newsroom_env(fake, claude), "NEWSROOM_DB": tmp_path / "n.db",
               "NEWSROOM_LOG_LEVEL": "DEBUG", "NEWSROOM_DRAFT_MAX_ATTEMPTS": 2}
        bot = BotProcess(env, tmp_path)
        try:
            await bot.start()
            claude.script(Overloaded(), Overloaded(), Overloaded())
            handle = await fake.invoke("editor1", "draft request",
                                       {"topic": "Harbour strike", "sources": SOURCES})
            await handle.wait_final(lambda m: "ready for review" in (m.get("content") or "")
                                    or "failed" in (m.get("content") or ""), timeout=30)
            status = await fake.invoke("editor1", "newsroom status")
            await status.wait_final()
            bad = await fake.invoke("editor1", "publish schedule", {"story": 1, "when": "x"})
            await bad.wait_final()
            texts = handle.text() + status.text() + bad.text()
        finally:
            await bot.stop()
        log = bot.output()
        database = (tmp_path / "n.db").read_bytes()
        for secret in (TOKEN, API_KEY, TOKEN.split(".")[1]):
            assert secret not in log
            assert secret not in texts
            assert secret.encode() not in database
        for interaction in (handle, status, bad):  # webhook tokens are credentials too
            assert interaction.token not in log
            assert interaction.token.encode() not in database
        assert "logging in" in log and "draft of story 1" in log  # the log did record the work
