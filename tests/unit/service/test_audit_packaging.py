"""Audit of the shipped configuration and packaging files: every settings name the deployments
rely on is documented in ``config/.env.example`` and is a real setting; the Dockerfile and
docker-compose.yml have the shape the service's documentation promises."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connector.settings import Settings

REPO = Path(__file__).resolve().parents[3]
REQUIRED = {
    "ONEC_BRIDGE_DATABASE_URL",
    "ONEC_BRIDGE_ONEC_URL",
    "ONEC_BRIDGE_ONEC_USER",
    "ONEC_BRIDGE_ONEC_PASSWORD",
    "ONEC_BRIDGE_ONEC_TIMEZONE",
    "ONEC_BRIDGE_TIMEZONE",
    "ONEC_BRIDGE_MAPPINGS_DIR",
    "ONEC_BRIDGE_TRACKER_KIND",
    "ONEC_BRIDGE_TRACKER_URL",
    "ONEC_BRIDGE_TRACKER_API_KEY",
    "ONEC_BRIDGE_TRACKER_FEED_TOKEN",
    "ONEC_BRIDGE_WEBHOOK_SECRET",
    "ONEC_BRIDGE_ADMIN_TOKEN",
}
KNOWN = {f"ONEC_BRIDGE_{name.upper()}" for name in Settings.model_fields}


def documented_names() -> set[str]:
    text = (REPO / "config" / ".env.example").read_text("utf-8")
    return set(re.findall(r"^#?\s*(ONEC_BRIDGE_[A-Z0-9_]+)=", text, re.MULTILINE))


def test_env_example_documents_every_required_name_and_only_real_settings() -> None:
    names = documented_names()
    assert REQUIRED <= names, sorted(REQUIRED - names)
    assert names <= KNOWN, f"documented but not a setting: {sorted(names - KNOWN)}"


def test_env_example_loads_as_valid_settings() -> None:
    settings = Settings(_env_file=REPO / "config" / ".env.example")  # type: ignore[call-arg]
    assert settings.onec_url.startswith("http")
    assert settings.tracker_kind == "bitcop"


def test_dockerfile_is_non_root_health_checked_and_serves() -> None:
    text = (REPO / "Dockerfile").read_text("utf-8")
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*", text, re.MULTILINE) and "/healthz" in text
    assert re.search(r'^ENTRYPOINT \["onec-bridge"\]', text, re.MULTILINE)
    assert re.search(r'^CMD \["serve"', text, re.MULTILINE)
    assert text.count("FROM python:3.11-slim") >= 1


def test_compose_runs_postgresql_the_connector_and_both_mocks() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert {"postgres", "connector", "mock-1c", "mock-tracker"} <= set(services)
    env = services["connector"]["environment"]
    assert set(env) <= KNOWN, sorted(set(env) - KNOWN)
    assert REQUIRED - {"ONEC_BRIDGE_MAPPINGS_DIR"} <= set(env)
    assert env["ONEC_BRIDGE_DATABASE_URL"].startswith("postgresql")
    assert env["ONEC_BRIDGE_ADMIN_TOKEN"] != env["ONEC_BRIDGE_TRACKER_FEED_TOKEN"]
