"""The app skeleton over real HTTP: health, JSON errors without tracebacks, body limit, request ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connector.api.app import create_app
from testbed.connector_app import RunningConnector, make_runtime, running_connector
from testbed.servers import ThreadedServer


@pytest.fixture(scope="module")
def connector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConnector]:
    db = tmp_path_factory.mktemp("store") / "store.db"
    with running_connector(f"sqlite:///{db}", app_options={"max_body_bytes": 4096}) as app:
        yield app


def assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert 'File "' not in text


def test_healthz_answers_ok(connector: RunningConnector) -> None:
    resp = requests.get(connector.url + "/healthz", timeout=10)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert resp.headers["X-Request-ID"]


def test_openapi_docs_are_served_under_the_product_title(connector: RunningConnector) -> None:
    spec = requests.get(connector.url + "/openapi.json", timeout=10).json()
    assert spec["info"]["title"] == "onec-bridge"
    assert "/tracker/v1/tasks" in spec["paths"]
    assert requests.get(connector.url + "/docs", timeout=10).status_code == 200


def test_unknown_path_is_a_json_404(connector: RunningConnector) -> None:
    resp = requests.get(connector.url + "/nope", timeout=10)
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


def test_body_over_the_limit_is_refused_with_413(connector: RunningConnector) -> None:
    resp = requests.post(
        connector.url + "/tracker/v1/time-entries",
        data=b"x" * 5000,
        headers={**connector.feed_headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 413
    body = resp.json()
    assert body["error"] == "payload_too_large"
    assert "4096" in body["message"]


def test_chunked_body_over_the_limit_is_refused_with_413(connector: RunningConnector) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    resp = requests.post(
        connector.url + "/tracker/v1/time-entries",
        data=chunks(),
        headers={**connector.feed_headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 413
    assert_no_traceback(resp.text)


def test_a_client_request_id_is_echoed_and_a_bad_one_replaced(connector: RunningConnector) -> None:
    ok = requests.get(connector.url + "/healthz", headers={"X-Request-ID": "abc-123"}, timeout=10)
    assert ok.headers["X-Request-ID"] == "abc-123"
    bad = requests.get(connector.url + "/healthz", headers={"X-Request-ID": "<script>"}, timeout=10)
    assert bad.headers["X-Request-ID"] != "<script>"


def test_an_unexpected_failure_answers_500_with_a_request_id_only(tmp_path: Path) -> None:
    runtime = make_runtime(f"sqlite:///{tmp_path / 'store.db'}")
    app = create_app(runtime)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    try:
        with ThreadedServer(app) as srv:
            resp = requests.get(srv.url + "/boom", timeout=10)
    finally:
        runtime.close()
    assert resp.status_code == 500
    body = resp.json()
    assert set(body) == {"error", "request_id"}
    assert body["error"] == "internal"
    assert body["request_id"] == resp.headers["X-Request-ID"]
    assert "secret internal detail" not in resp.text
    assert_no_traceback(resp.text)
