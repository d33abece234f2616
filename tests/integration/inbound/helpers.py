"""Shared helpers of the inbound integration tests: a runtime pointed at a running mock 1C."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from sqlalchemy import select

from connector.runtime import Runtime
from connector.store.models import Link
from testbed.connector_app import make_runtime
from testbed.mock1c import MockOneC

NODE_CODE = "TT"


def runtime_for(
    mock: MockOneC, store_url: str, mappings_dir: Path | None = None, **overrides: Any
) -> Runtime:
    """A migrated runtime reading ``mock`` (small page size so paging is exercised)."""
    values: dict[str, Any] = {
        "onec_url": mock.base_url,
        "onec_user": mock.user,
        "onec_password": mock.password,
        "onec_exchange_node": NODE_CODE,
        "onec_rate_limit": 1000.0,
        "onec_deadline": 60.0,
    }
    values.update(overrides)
    return make_runtime(store_url, mappings_dir, **values)


def links(runtime: Runtime, mapping: str | None = None) -> dict[str, Link]:
    """Links by task code."""
    with runtime.sessions() as session:
        query = select(Link)
        if mapping is not None:
            query = query.where(Link.mapping == mapping)
        return {link.task_code: link for link in session.execute(query).scalars()}


def onec_objects(mock: MockOneC, entity_set: str, flt: str | None = None) -> list[dict[str, Any]]:
    """Objects straight from the mock's OData (the test's ground truth)."""
    url = f"{mock.odata_url}/{quote(entity_set)}?$format=json"
    if flt:
        url += "&$filter=" + quote(flt, safe="'")  # 1C reads "+" literally: spaces as %20
    resp = mock.session().get(url, timeout=30)
    resp.raise_for_status()
    return list(resp.json()["value"])


def admin_patch(mock: MockOneC, entity_set: str, ref: str, values: dict[str, Any]) -> dict[str, Any]:
    resp = requests.patch(f"{mock.admin_url}/objects/{entity_set}/{ref}", json=values, timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def admin_create(mock: MockOneC, entity_set: str, values: dict[str, Any]) -> dict[str, Any]:
    resp = requests.post(f"{mock.admin_url}/objects/{entity_set}", json=values, timeout=10)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def admin_delete(mock: MockOneC, entity_set: str, ref: str) -> None:
    resp = requests.delete(f"{mock.admin_url}/objects/{entity_set}/{ref}", timeout=10)
    assert resp.status_code == 204, resp.text
