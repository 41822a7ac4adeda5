"""``commerce outbox status``, ``commerce inbox prune``, ``commerce dlq list``,
``commerce dlq replay``: Typer sub-apps."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from entrypoints.distributed_settings import DistributedSettings
from entrypoints.settings import Settings, SettingsError

if TYPE_CHECKING:
    from adapters.rabbitmq.dead_letters import DeadLetter

# aio-pika and the adapters are imported by the commands that use them: `commerce --help` and the
# other commands work where the [rabbitmq] extra is not installed.

outbox_app = typer.Typer(help="The transactional outbox.", no_args_is_help=True)
dlq_app = typer.Typer(help="The dead-letter queue (distributed mode).", no_args_is_help=True)
inbox_app = typer.Typer(
    help="The inbox: the message ids each consumer handled.", no_args_is_help=True
)

console = Console()


def _fail(message: str) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(1)


def _amqp_url() -> str:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise _fail(str(error)) from None
    if not settings.amqp_url:
        raise _fail("COMMERCE_AMQP_URL is not set: there is no dead-letter queue without a broker")
    return settings.amqp_url


async def _with_dead_letters(action: str, ids: list[str] | None, limit: int) -> list[DeadLetter]:
    import aio_pika

    from adapters.rabbitmq.dead_letters import DeadLetters
    from adapters.rabbitmq.topology import Topology

    extra = DistributedSettings.from_env()
    connection = await aio_pika.connect(_amqp_url(), timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        letters = DeadLetters(channel, Topology(extra.amqp_prefix))
        if action == "list":
            return await letters.list(limit=limit)
        return await letters.replay(ids, limit=limit)
    finally:
        await connection.close()


def _table(letters: list[DeadLetter], title: str) -> Table:
    table = Table(title=title)
    for column in ("message_id", "event", "queue", "reason", "deaths", "died_at"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        died = letter.died_at.isoformat() if letter.died_at else ""
        table.add_row(
            letter.message_id, letter.event, letter.queue, letter.reason, str(letter.count), died
        )
    return table


def _run(coroutine: object) -> list[DeadLetter]:
    from aio_pika.exceptions import AMQPError

    try:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    except typer.Exit:
        raise
    except (OSError, AMQPError) as error:
        raise _fail(f"cannot reach the broker: {error}") from None


@dlq_app.command("list")
def dlq_list(limit: Annotated[int, typer.Option(min=1)] = 1000) -> None:
    """Shows the dead letters (they stay in the queue)."""
    letters = _run(_with_dead_letters("list", None, limit))
    console.print(_table(letters, f"{len(letters)} dead letter(s)"))


@dlq_app.command("replay")
def dlq_replay(
    message_id: Annotated[
        list[str] | None, typer.Option("--id", help="a message id to replay (repeatable)")
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="replay every dead letter")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 1000,
) -> None:
    """Puts dead letters back on the queue of the consumer that gave up on them."""
    if not message_id and not replay_all:
        raise _fail("say which: --id MESSAGE_ID (repeatable) or --all")
    letters = _run(_with_dead_letters("replay", None if replay_all else message_id, limit))
    for letter in letters:
        console.print(
            f"replayed {letter.message_id} ({letter.event}) to {letter.queue}", soft_wrap=True
        )
    console.print(f"{len(letters)} replayed")


@outbox_app.command("status")
def outbox_status() -> None:
    """How many events wait in the outbox to be delivered."""
    from entrypoints.container import build_container

    async def backlog() -> int:
        container = build_container(Settings.from_env())
        init = container.init_resources()
        if init is not None:
            await init
        try:
            return int(await container.outbox().backlog())
        finally:
            shutdown = container.shutdown_resources()
            if shutdown is not None:
                await shutdown

    try:
        waiting = asyncio.run(backlog())
    except SettingsError as error:
        raise _fail(str(error)) from None
    console.print(f"outbox: {waiting} event(s) waiting")


@inbox_app.command("prune")
def inbox_prune(
    keep_days: Annotated[
        int | None,
        typer.Option(
            help="Forget the messages handled longer ago than this many days "
            "(default: COMMERCE_INBOX_RETENTION_DAYS, 7)"
        ),
    ] = None,
) -> None:
    """Forget the inbox's message ids older than the retention (the workers do it hourly)."""
    from entrypoints.cli_support import run, settings_from_env
    from entrypoints.container import build_container
    from entrypoints.embedded import open_shop
    from entrypoints.workers import prune_inbox_once

    settings = settings_from_env()
    days = settings.inbox_retention_days if keep_days is None else keep_days

    async def prune() -> int:
        async with open_shop(container=build_container(settings)) as shop:
            return await prune_inbox_once(shop.bus, keep_days=days)

    pruned = run(prune())
    console.print(f"inbox: forgot {pruned} message id(s) handled over {days} day(s) ago")


def worker_command() -> None:
    """Run the event consumers, the outbox relay and the reservation sweeper (distributed mode)."""
    from entrypoints.worker import main

    main()


# Standalone (`python -m entrypoints.ops_cli`); `commerce` mounts the same sub-apps.
app = typer.Typer(no_args_is_help=True)
app.command("worker")(worker_command)
app.add_typer(outbox_app, name="outbox")
app.add_typer(inbox_app, name="inbox")
app.add_typer(dlq_app, name="dlq")

if __name__ == "__main__":
    app()
