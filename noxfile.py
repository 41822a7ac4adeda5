"""Sessions: tests, lint (ruff + import contracts), typecheck (mypy), bench, and ci (all checks in
the current environment, which is what .ci/run and the README's test command use)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("lint-imports")


def _typecheck(session: nox.Session) -> None:
    session.run("mypy")


def _tests(session: nox.Session) -> None:
    session.run("pytest", "-q", *session.posargs)
    # The saga benchmarks once, untimed: their end-state checks (every order CONFIRMED, one
    # notice each, no double charge) run as tests, so the benchmark cannot rot between runs.
    session.run("pytest", "benchmarks/test_saga_benchmark.py", "--benchmark-disable", "-q")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    _lint(session)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    _typecheck(session)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    _tests(session)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "benchmarks", "--benchmark-only", "-q", *session.posargs)


@nox.session(venv_backend="none")
def ci(session: nox.Session) -> None:
    """Every check, in the environment that is already active (no second install)."""
    _lint(session)
    _typecheck(session)
    _tests(session)
