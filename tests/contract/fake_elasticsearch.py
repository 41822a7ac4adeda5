"""A stand-in for an Elasticsearch node on loopback that replays recorded exchanges.

Each request must be the next one of the recording: same method, path, query string and body
(compared as JSON, line by line for NDJSON); the node answers with the recorded status and body.
Anything else is remembered as a mismatch and answered 400, so the test fails and says why.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

RECORDINGS = Path(__file__).parent.parent / "fixtures" / "elasticsearch"
HEADERS = {"X-Elastic-Product": "Elasticsearch"}


def load(name: str) -> list[dict[str, Any]]:
    exchanges: list[dict[str, Any]] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return exchanges


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode()
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        return [json.loads(line) for line in lines]
    return json.loads(text)


class FakeElasticsearch:
    def __init__(self, exchanges: list[dict[str, Any]]) -> None:
        self.expected = deque(exchanges)
        self.mismatches: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        body = _parse_body(await request.read())
        query = dict(parse_qsl(request.query_string))
        if not self.expected:
            self.mismatches.append(f"unexpected {request.method} {request.path}")
            return web.json_response({"error": "no more recorded exchanges"}, status=400,
                                     headers=HEADERS)
        recorded = self.expected.popleft()
        want = recorded["request"]
        got = {"method": request.method, "path": request.path, "query": query, "body": body}
        expected = {"method": want["method"], "path": want["path"],
                    "query": want.get("query", {}), "body": want.get("body")}
        if got != expected:
            self.mismatches.append(
                f"request differs from the recording:\n got {json.dumps(got)}\n"
                f"want {json.dumps(expected)}"
            )
            return web.json_response({"error": "request differs from the recording"},
                                     status=400, headers=HEADERS)
        response = recorded["response"]
        return web.json_response(response["body"], status=response["status"], headers=HEADERS)
