"""Helpers of the deploy/ tests: where things are, tool skipping, a small kustomize, PromQL names.

``require_tool`` is the root conftest's ``require_service`` (a sub-directory cannot import the root
conftest): a missing tool skips the test locally and fails it when CI=true.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(name: str, reason: str) -> str:
    """The path of the executable ``name``; skips locally, fails in CI, when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: deployment checks must run)")
    pytest.skip(reason)


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc]


# --- kustomize -----------------------------------------------------------------------------------


def kustomize_command() -> list[str] | None:
    """The real kustomize, if one is installed: ``kubectl kustomize`` or ``kustomize build``."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def render(directory: Path) -> list[dict[str, Any]]:
    """The resources of a kustomization: by the real kustomize when installed, else by
    ``render_simple``, which knows the few features deploy/k8s uses."""
    command = kustomize_command()
    if command is None:
        return render_simple(directory)
    result = subprocess.run(
        [*command, str(directory)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet"}


def render_simple(directory: Path) -> list[dict[str, Any]]:
    """Kustomize for what deploy/k8s uses: resources (files and directories), namespace, images,
    replicas and strategic-merge patches of mappings. Anything else raises rather than render
    something kustomize would not; test_deploy_k8s compares it with kubectl when kubectl exists."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text("utf-8"))
    unknown = set(spec) - SUPPORTED_KEYS
    if unknown:
        raise NotImplementedError(f"{directory}: render_simple does not know {sorted(unknown)}")
    docs: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        docs.extend(render_simple(path) if path.is_dir() else load_all(path))
    for patch_entry in spec.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise NotImplementedError(f"{directory}: only `patches: - path:` is supported")
        for patch in load_all(directory / patch_entry["path"]):
            _apply_patch(docs, patch)
    for image in spec.get("images", []):
        for doc in docs:
            _set_image(doc, image)
    for replicas in spec.get("replicas", []):
        targets = [d for d in docs
                   if d["kind"] in SCALABLE and d["metadata"]["name"] == replicas["name"]]
        if not targets:
            raise LookupError(f"replicas: no workload named {replicas['name']}")
        for doc in targets:
            doc["spec"]["replicas"] = replicas["count"]
    if "namespace" in spec:
        for doc in docs:
            doc["metadata"]["namespace"] = spec["namespace"]
    return docs


def _apply_patch(docs: list[dict[str, Any]], patch: dict[str, Any]) -> None:
    key = (patch["kind"], patch["metadata"]["name"])
    targets = [d for d in docs if (d["kind"], d["metadata"]["name"]) == key]
    if len(targets) != 1:
        raise LookupError(f"patch {key}: {len(targets)} targets")
    _merge(targets[0], {k: v for k, v in patch.items() if k not in {"apiVersion", "kind"}})


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, list):
            # Strategic merge of lists depends on the field's merge key: not implemented.
            raise NotImplementedError(f"render_simple cannot merge the list {key!r}")
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _set_image(node: Any, image: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key in ("containers", "initContainers"):
            for container in node.get(key, []) or []:
                name = re.split(r"[:@]", container["image"], maxsplit=1)[0]
                if name == image["name"]:
                    new_name = image.get("newName", name)
                    container["image"] = f"{new_name}:{image['newTag']}" if "newTag" in image \
                        else new_name
        for value in node.values():
            _set_image(value, image)
    elif isinstance(node, list):
        for value in node:
            _set_image(value, image)


# --- PromQL --------------------------------------------------------------------------------------

PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
    "offset", "inf", "nan", "atan2",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def promql_metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: not its functions, label names, label values,
    grouping labels, keywords, durations or Grafana variables."""
    text = _STRING.sub(" ", expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _VARIABLE.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_WORDS:
            continue  # a function (or aggregation) call, or a keyword
        names.add(name)
    return names


def dashboard_expressions(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, expr) for every Prometheus query of the dashboard, rows' panels included."""
    found: list[tuple[str, str]] = []

    def visit(panels: list[dict[str, Any]]) -> None:
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append((panel.get("title", "?"), target["expr"]))
            visit(panel.get("panels", []))

    visit(dashboard.get("panels", []))
    return found
