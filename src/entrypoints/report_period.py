"""The period a sales or funnel report may cover, checked alike by the HTTP routes and the CLI.

A rule between two dates that each edge states in its own way (a 422 naming the field, a one-line
CLI error): the first day not after the last, about three years at most (a daily PDF stays a
readable size), and dates a store can add a day to.
"""

from __future__ import annotations

from datetime import date

MAX_PERIOD_DAYS = 3 * 366  # first and last day included
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def period_problems(date_from: date, date_to: date) -> list[tuple[str, str]]:
    """What is wrong with the period, as (``from`` or ``to``, message); empty when it is fine."""
    problems = [
        (name, f"must be from {EARLIEST.isoformat()} to {LATEST.isoformat()}")
        for name, day in (("from", date_from), ("to", date_to))
        if not EARLIEST <= day <= LATEST
    ]
    if not problems and date_from > date_to:
        problems.append(("to", "must be on or after from"))
    if not problems and (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        problems.append(("to", f"a report covers at most {MAX_PERIOD_DAYS} days"))
    return problems
