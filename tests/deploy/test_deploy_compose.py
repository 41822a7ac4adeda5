"""deploy/compose.yaml: accepted by `docker-compose config` (Debian's docker-compose 1.x), the
whole distributed shape, no default secret; the image, Prometheus and Grafana files agree."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import DEPLOY, REPO, require_tool

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
APIS = ("api-1", "api-2")
WORKERS = ("worker-1", "worker-2")
SERVERS = ("postgres-primary", "postgres-replica", "redis", "rabbitmq", "elasticsearch",
           "clickhouse", "prometheus", "grafana")


def _secret_names() -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def _compose_config(tmp_path: Path, env_file: Path) -> subprocess.CompletedProcess[str]:
    executable = require_tool("docker-compose", "docker-compose is not installed "
                              "(Debian: apt-get install docker-compose)")
    env = {k: v for k, v in os.environ.items() if k not in _secret_names()}
    return subprocess.run(
        [executable, "--env-file", str(env_file), "--project-directory", str(DEPLOY),
         "-f", str(COMPOSE), "config"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=120,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = _compose_config(tmp_path_factory.mktemp("compose"), ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_config_accepts_the_file(config: dict[str, Any]) -> None:
    services = config["services"]
    assert set(services) == {"migrate", *APIS, *WORKERS, *SERVERS}


def test_without_the_env_file_compose_refuses_rather_than_use_a_default_secret(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = _compose_config(tmp_path, empty)
    assert result.returncode != 0
    assert "deploy/.env" in result.stderr  # the message says where the secrets go


def test_env_example_holds_placeholders_only() -> None:
    values = {
        name: value
        for name, _, value in (
            line.partition("=")
            for line in ENV_EXAMPLE.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        )
    }
    assert values
    assert all(value.startswith("change-me") for value in values.values()), values
    assert ".env" in (DEPLOY / ".gitignore").read_text("utf-8").split()


def test_apis_and_workers_start_after_the_migration(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["migrate"]["command"] == ["commerce", "db", "upgrade"]
    for name in (*APIS, *WORKERS):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        for backend in ("postgres-primary", "postgres-replica", "redis", "rabbitmq"):
            assert depends[backend]["condition"] == "service_healthy"
    for name in APIS:
        assert services[name]["command"][:4] == ["commerce", "serve", "--host", "0.0.0.0"]
    for name in WORKERS:
        assert services[name]["command"] == ["commerce", "worker"]


def test_every_commerce_process_is_configured_for_the_distributed_shape(
    config: dict[str, Any],
) -> None:
    for name in ("migrate", *APIS, *WORKERS):
        env = config["services"][name]["environment"]
        assert "@postgres-primary:5432/" in env["COMMERCE_DATABASE_URL"]
        assert "@postgres-replica:5432/" in env["COMMERCE_DATABASE_REPLICA_URLS"]
        assert env["COMMERCE_REDIS_URL"].startswith("redis://")
        assert env["COMMERCE_AMQP_URL"].startswith("amqp://")
        assert env["COMMERCE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
        assert env["COMMERCE_CLICKHOUSE_URL"].startswith("clickhouse://")
        assert env["COMMERCE_JWT_SECRET"]


def _disabled(check: dict[str, Any]) -> bool:
    # `disable: true` is written `test: [NONE]` by docker-compose 1.x.
    return bool(check.get("disable")) or check.get("test") in (["NONE"], "NONE", None, [])


def test_servers_and_apis_have_healthchecks(config: dict[str, Any]) -> None:
    services = config["services"]
    for name in (*APIS, *SERVERS):
        assert not _disabled(services[name]["healthcheck"]), name
    assert any("/health" in part for part in services["api-1"]["healthcheck"]["test"])
    # Workers and the migration serve no HTTP: the image's /health check is switched off.
    for name in ("migrate", *WORKERS):
        assert _disabled(services[name]["healthcheck"]), name


def test_the_replica_streams_from_the_primary(config: dict[str, Any]) -> None:
    services = config["services"]
    primary = services["postgres-primary"]
    assert "wal_level=replica" in primary["command"]
    assert services["postgres-replica"]["environment"]["PRIMARY_HOST"] == "postgres-primary"
    for script in ("primary-init.sh", "replica-entrypoint.sh"):
        path = DEPLOY / "postgres" / script
        assert os.access(path, os.X_OK), f"{path} must be executable"
        assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0


def test_dockerfile_builds_a_non_root_image_with_a_health_check() -> None:
    text = (DEPLOY / "Dockerfile").read_text("utf-8")
    lines = [line.strip() for line in text.splitlines()]
    assert "FROM python:3.11-slim" in lines
    assert '".[postgres,redis,rabbitmq,elasticsearch,metrics]"' in text
    user = [line for line in lines if line.startswith("USER ")]
    assert user
    assert user[-1].split()[1].split(":")[0] not in {"root", "0"}
    assert "HEALTHCHECK" in text
    assert "/health" in text
    for path in ("pyproject.toml", "README.md", "src"):
        assert (REPO / path).exists()


def test_prometheus_scrapes_both_apis() -> None:
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text("utf-8"))
    (job,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == "commerce-api"]
    assert job["metrics_path"] == "/metrics"
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:8000" for name in APIS}


def test_grafana_provisioning_points_at_prometheus_and_the_dashboard() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())
    (source,) = sources["datasources"]
    assert source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((provisioning / "dashboards" / "commerce.yaml").read_text())
    compose = yaml.safe_load(COMPOSE.read_text("utf-8"))
    mounted = {
        volume.split(":")[1]
        for volume in compose["services"]["grafana"]["volumes"]
        if volume.startswith("./grafana/dashboards:")
    }
    assert {p["options"]["path"] for p in providers["providers"]} == mounted
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "commerce.json").read_text())
    uids = {
        target["datasource"]["uid"]
        for panel in dashboard["panels"]
        for target in panel["targets"]
    }
    assert uids == {source["uid"]}
