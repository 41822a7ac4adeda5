"""``commerce inbox prune``: forgets the message ids handled longer ago than the retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from adapters.system import ManualClock
from commerce_core.shared.unit_of_work import AlreadyProcessed
from entrypoints.cli import app
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings


def _handle(url: str, message_id: str, at: datetime) -> bool:
    return asyncio.run(_handle_async(url, message_id, at))


async def _handle_async(url: str, message_id: str, at: datetime) -> bool:
    container = build_container(Settings(database_url=url))
    container.clock.override(ManualClock(at))
    async with open_shop(container=container) as shop:
        uow = shop.container.uow()
        uow.handling("cli-test", message_id)
        try:
            async with uow:
                await uow.commit()
        except AlreadyProcessed:
            return False
        return True


def test_prune_forgets_old_ids_and_keeps_recent_ones(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    now = datetime.now(UTC)
    assert _handle(url, "ten-days", now - timedelta(days=10))
    assert _handle(url, "four-days", now - timedelta(days=4))
    assert _handle(url, "today", now)
    env = {"COMMERCE_DATABASE_URL": url}
    runner = CliRunner()

    result = runner.invoke(app, ["inbox", "prune"], env=env)  # 7 days by default
    assert result.exit_code == 0, result.output
    assert "forgot 1 message id(s) handled over 7 day(s) ago" in result.stdout
    assert _handle(url, "ten-days", now)  # forgotten: handled as new
    assert not _handle(url, "four-days", now)

    result = runner.invoke(app, ["inbox", "prune", "--keep-days", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert "forgot 1 message id(s)" in result.stdout
    assert _handle(url, "four-days", now)
    assert not _handle(url, "today", now)


def test_a_bad_retention_is_one_line(tmp_path: Path) -> None:
    env = {"COMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shop.db"}
    result = CliRunner().invoke(app, ["inbox", "prune", "--keep-days", "0"], env=env)
    assert result.exit_code == 1
    assert "keep the inbox 1 to 3650 days" in result.stderr
    assert "Traceback" not in result.output
    result = CliRunner().invoke(
        app, ["inbox", "prune"], env={**env, "COMMERCE_INBOX_RETENTION_DAYS": "soon"}
    )
    assert result.exit_code == 1
    assert "COMMERCE_INBOX_RETENTION_DAYS must be an integer" in result.stderr
