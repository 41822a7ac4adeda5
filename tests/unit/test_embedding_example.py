"""The README's "Embed it" example must run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"
START, END = "<!-- embed-example:start -->", "<!-- embed-example:end -->"
PYTHON_FENCE = re.compile(r"```python\n(?P<code>.*?)\n```", re.DOTALL)


def embed_example(text: str) -> str:
    """The python block between the markers; fails with a message saying what is missing."""
    if START not in text or END not in text:
        pytest.fail(f"{README} has no {START} ... {END} block")
    section = text.split(START, 1)[1].split(END, 1)[0]
    match = PYTHON_FENCE.search(section)
    if match is None:
        pytest.fail(f"the embed-example block of {README} holds no ```python fence")
    return match.group("code")


def test_the_readme_exists():
    assert README.is_file(), f"{README} is missing"


def test_the_embedding_example_runs_and_confirms_an_order(capsys):
    code = embed_example(README.read_text(encoding="utf-8"))

    # A sync test: the example calls asyncio.run itself, which needs no running loop.
    exec(compile(code, f"{README}:embed-example", "exec"), {"__name__": "__main__"})

    assert "CONFIRMED" in capsys.readouterr().out


def test_the_extractor_refuses_a_readme_without_the_block():
    with pytest.raises(pytest.fail.Exception, match="embed-example"):
        embed_example("# commerce-core\n\n```python\nprint('hi')\n```\n")


def test_the_extractor_refuses_markers_without_a_python_fence():
    with pytest.raises(pytest.fail.Exception, match="python fence"):
        embed_example(f"{START}\n```sh\ncommerce serve\n```\n{END}\n")
