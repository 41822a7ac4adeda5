"""deploy/k8s: the base and the production overlay, rendered by kustomize, pass strict schema
validation (kubernetes-validate) for a pinned Kubernetes version, and say what the brief asks:
probes, resources, non-root, the migration Job, HPA and PDB on the API, config from a ConfigMap
and a placeholder Secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from deploy_support import K8S, kustomize_command, render, render_simple

KUBERNETES_VERSION = "1.32.0"  # the schema kubernetes-validate checks against (strict mode)
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
API_LABELS = {"app.kubernetes.io/name": "commerce-core", "app.kubernetes.io/component": "api"}


def _by_kind(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


@pytest.fixture(scope="module", params=[BASE, PRODUCTION], ids=["base", "production"])
def rendered(request: pytest.FixtureRequest) -> dict[tuple[str, str], dict[str, Any]]:
    directory: Path = request.param
    return _by_kind(render(directory))


def test_every_resource_passes_strict_schema_validation(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert set(rendered) == {
        ("ConfigMap", "commerce-config"), ("Secret", "commerce-secrets"),
        ("Job", "commerce-migrate"), ("Deployment", "commerce-api"),
        ("Service", "commerce-api"), ("HorizontalPodAutoscaler", "commerce-api"),
        ("PodDisruptionBudget", "commerce-api"), ("Deployment", "commerce-worker"),
    }
    for key, doc in rendered.items():
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{key}: {error.message} at {list(error.path)}")


def _pod_specs(rendered: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: doc["spec"]["template"]["spec"]
        for (kind, name), doc in rendered.items()
        if kind in {"Deployment", "Job"}
    }


def test_pods_run_non_root_read_only_with_resources_and_config(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for name, pod in _pod_specs(rendered).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            refs = {
                ("ConfigMap", ref["configMapRef"]["name"]) if "configMapRef" in ref
                else ("Secret", ref["secretRef"]["name"])
                for ref in container["envFrom"]
            }
            assert refs == {("ConfigMap", "commerce-config"), ("Secret", "commerce-secrets")}
            assert refs <= set(rendered), name


def test_the_api_is_probed_served_scaled_and_protected(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    api = rendered[("Deployment", "commerce-api")]
    assert api["spec"]["selector"]["matchLabels"] == API_LABELS
    (container,) = api["spec"]["template"]["spec"]["containers"]
    assert container["command"][:4] == ["commerce", "serve", "--host", "0.0.0.0"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert rendered[("Service", "commerce-api")]["spec"]["selector"] == API_LABELS
    assert rendered[("PodDisruptionBudget", "commerce-api")]["spec"]["selector"] == {
        "matchLabels": API_LABELS
    }
    hpa = rendered[("HorizontalPodAutoscaler", "commerce-api")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "commerce-api"
    }
    worker = rendered[("Deployment", "commerce-worker")]["spec"]["template"]["spec"]
    assert worker["containers"][0]["command"] == ["commerce", "worker"]
    job = rendered[("Job", "commerce-migrate")]["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["commerce", "db", "upgrade"]
    assert job["restartPolicy"] == "Never"


def test_the_secret_holds_placeholders_only(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    secret = rendered[("Secret", "commerce-secrets")]
    assert "data" not in secret
    assert secret["stringData"]
    assert all("CHANGE_ME" in value for value in secret["stringData"].values())
    assert "secret manager" in (BASE / "secret.yaml").read_text("utf-8")


def test_the_production_overlay_pins_the_image_and_sets_replicas() -> None:
    rendered = _by_kind(render(PRODUCTION))
    assert {doc["metadata"].get("namespace") for doc in rendered.values()} == {"commerce"}
    images = {
        container["image"]
        for pod in _pod_specs(rendered).values()
        for container in pod["containers"]
    }
    assert images == {"registry.example.com/commerce-core:0.1.0"}
    assert rendered[("Deployment", "commerce-api")]["spec"]["replicas"] == 3
    assert rendered[("Deployment", "commerce-worker")]["spec"]["replicas"] == 4
    hpa = rendered[("HorizontalPodAutoscaler", "commerce-api")]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
    assert hpa["metrics"]  # the patch kept the base's metrics


@pytest.mark.parametrize("directory", [BASE, PRODUCTION], ids=["base", "production"])
def test_the_fallback_renderer_agrees_with_kustomize(directory: Path) -> None:
    """Where no kustomize is installed the tests render with render_simple: it must give what
    kustomize gives."""
    if kustomize_command() is None:
        pytest.skip("neither kubectl nor kustomize is installed: nothing to compare with")
    assert _by_kind(render_simple(directory)) == _by_kind(render(directory))
