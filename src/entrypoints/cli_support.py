"""What every `commerce` sub-command shares: one-line failures, running a coroutine, reading
settings, and applying a CSV file row by row with a progress bar."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.progress import Progress

from commerce_core.shared.errors import DomainError
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings, SettingsError

T = TypeVar("T")
Row = dict[str, str | None]


def fail(message: str) -> NoReturn:
    typer.echo(f"commerce: {message}", err=True)
    raise typer.Exit(1)


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        fail(str(error))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a command's coroutine; the errors a user can cause become one line on stderr."""
    try:
        return asyncio.run(coroutine)
    except (DomainError, SettingsError, OSError) as error:
        fail(str(error) or type(error).__name__)
    except Exception as error:
        if type(error).__module__.startswith(("adapters.", "entrypoints.")):
            fail(str(error) or type(error).__name__)  # e.g. the schema is newer than the code
        raise


def read_csv(file: Path, columns: Sequence[str]) -> list[Row]:
    """The rows of a CSV file whose header names every column; a one-line failure otherwise."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {error}")
    reader = csv.DictReader(text.splitlines())
    absent = [c for c in columns if c not in (reader.fieldnames or [])]
    if absent:
        fail(f"{file}: the header lacks {', '.join(absent)}")
    return list(reader)


def apply_rows(rows: list[Row], to_message: Callable[[Row], object], *, label: str) -> list[str]:
    """Sends one message per row; a bad row is reported by its line number and the others are
    kept. Returns the rejections ("line N: why")."""

    async def apply() -> list[str]:
        rejected: list[str] = []
        async with open_shop(container=build_container(settings_from_env())) as shop:
            with Progress(transient=True) as progress:
                task = progress.add_task(label, total=len(rows))
                for number, row in enumerate(rows, start=2):  # line 1 is the header
                    try:
                        if None in row:
                            raise ValueError("more fields than the header names")
                        await shop.handle(to_message(row))
                    except (ValueError, DomainError) as error:
                        rejected.append(f"line {number}: {error}")
                    progress.advance(task)
        return rejected

    rejected = run(apply())
    for line in rejected:
        typer.echo(line, err=True)
    return rejected
