"""The error shape of every endpoint (connector.api.errors) on a small app served on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from fastapi import FastAPI
from pydantic import BaseModel

from connector.api.errors import (
    MAX_MESSAGE_CHARS,
    ApiError,
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    install_error_handlers,
)
from testbed.servers import ThreadedServer


class Thing(BaseModel):
    name: str
    size: int


def small_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=64 * 1024)
    app.add_middleware(RequestIdMiddleware)

    @app.post("/things")
    def create(thing: Thing) -> dict[str, str]:
        return {"name": thing.name}

    @app.get("/conflict")
    def conflict() -> None:
        raise ApiError(409, "already there " + "x" * 1000)

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with ThreadedServer(small_app()) as srv:
        yield srv.url


def test_body_validation_errors_are_short_and_do_not_echo_the_input(url: str) -> None:
    huge = "Z" * 50_000
    resp = requests.post(url + "/things", json={"name": 1, "size": huge}, timeout=10)
    assert resp.status_code == 422
    body = resp.json()
    assert body["error"] == "invalid_request"
    assert "size" in body["message"]
    assert huge[:100] not in resp.text
    assert len(resp.text) < MAX_MESSAGE_CHARS + 100


def test_many_validation_errors_are_summarised(url: str) -> None:
    resp = requests.post(url + "/things", json={}, timeout=10)
    assert resp.status_code == 422
    assert "name" in resp.json()["message"] and "size" in resp.json()["message"]


def test_api_errors_keep_their_status_and_are_cut_to_a_short_message(url: str) -> None:
    resp = requests.get(url + "/conflict", timeout=10)
    assert resp.status_code == 409
    body = resp.json()
    assert body["error"] == "conflict"
    assert len(body["message"]) <= MAX_MESSAGE_CHARS


def test_wrong_method_is_json_too(url: str) -> None:
    resp = requests.get(url + "/things", timeout=10)
    assert resp.status_code == 405
    assert resp.json()["error"] == "method_not_allowed"


def test_a_body_over_the_limit_is_refused(url: str) -> None:
    resp = requests.post(
        url + "/things", data=b" " * (65 * 1024), headers={"Content-Type": "application/json"}, timeout=10
    )
    assert resp.status_code == 413
