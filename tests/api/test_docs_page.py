"""The /docs page's script, run under Node with a minimal DOM: it renders every operation of the
document it fetches. Skipped where Node is not installed."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from api.support import Api

SHIM = r"""
const nodes = {};
class Node {
  constructor(tag) { this.tag = tag; this.children = []; this.attrs = {}; this._text = ""; }
  append(...kids) { for (const k of kids) this.children.push(k); }
  setAttribute(k, v) { this.attrs[k] = v; }
  set textContent(v) { this._text = String(v); this.children = []; }
  get textContent() {
    const text = (c) => typeof c === "string" ? c : c.textContent;
    return this._text + this.children.map(text).join("");
  }
}
globalThis.document = {
  createElement: (tag) => new Node(tag),
  getElementById: (id) => (nodes[id] = nodes[id] || new Node("div")),
};
const spec = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
globalThis.fetch = async () => ({ json: async () => spec });
setTimeout(() => {
  console.log(JSON.stringify({ ops: nodes.ops.textContent, schemas: nodes.schemas.textContent }));
}, 50);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
async def test_the_docs_page_lists_every_operation(api: Api, tmp_path: Path) -> None:
    page = (await api.http.get("/docs")).text
    document = (await api.http.get("/openapi.json")).json()
    script = re.search(r"<script>(.*)</script>", page, re.S)
    assert script is not None
    (tmp_path / "spec.json").write_text(json.dumps(document))
    (tmp_path / "page.js").write_text(SHIM + script.group(1))
    run = await asyncio.to_thread(
        subprocess.run, ["node", str(tmp_path / "page.js"), str(tmp_path / "spec.json")],
        capture_output=True, text=True, timeout=30,
    )
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    for path, item in document["paths"].items():
        for method in item:
            assert f"{method.upper()}{path}" in shown["ops"]
    assert "ProductRequest" in shown["schemas"]
