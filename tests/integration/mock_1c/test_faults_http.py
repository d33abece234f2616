"""Each fault kind over real HTTP: a small 1C-like app wrapped by FaultMiddleware on uvicorn."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from lxml import etree

from mock_1c.faults import MESSAGES, FaultInjector, FaultMiddleware, FaultProfile
from testbed.servers import ThreadedServer

ODATA = "/crm/odata/standard.odata"
SOAP = "/crm/ws/TimeTracking.1cws"


def classify(path: str) -> str | None:
    if path.startswith("/crm/odata/"):
        return "odata"
    if path.startswith("/crm/ws/"):
        return "soap"
    return None


def build_app(store: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.get(f"{ODATA}/Catalog_X")
    def read() -> dict[str, Any]:
        return {"value": list(store)}

    @app.post(f"{ODATA}/Catalog_X", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        item = await request.json()
        store.append(item)
        return item

    @app.patch(f"{ODATA}/Catalog_X")
    def patch(request: Request) -> Response:
        if_match = request.headers.get("if-match")
        if if_match is not None and if_match != "AAAAAQAAAAA=":
            return JSONResponse({"odata.error": {"code": "-1"}}, status_code=412)
        return JSONResponse({"ok": True})

    @app.get(f"{ODATA}/echo")
    def echo(request: Request) -> dict[str, Any]:
        return {"params": dict(request.query_params)}

    @app.get(f"{ODATA}/secret")
    def secret() -> Response:
        return JSONResponse({"odata.error": {"code": "20"}}, status_code=401)

    @app.post(SOAP)
    def soap() -> Response:
        return Response("<ok/>", media_type="text/xml")

    @app.get("/_mock/items")
    def items() -> dict[str, Any]:
        return {"value": list(store)}

    return app


class Rig:
    def __init__(self) -> None:
        self.store: list[dict[str, Any]] = []
        self.middleware = FaultMiddleware(build_app(self.store), FaultInjector(FaultProfile()), classify)
        self.server = ThreadedServer(self.middleware)

    def use(self, spec: str, seed: int = 1) -> None:
        self.store.clear()
        self.middleware.injector = FaultInjector(FaultProfile.parse(spec), seed=seed)

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def wait_for_items(self, n: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            items: list[dict[str, Any]] = requests.get(self.url("/_mock/items"), timeout=5).json()["value"]
            if len(items) >= n:
                return items
            time.sleep(0.05)
        raise AssertionError(f"expected {n} committed items")


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    r = Rig()
    with r.server:
        yield r


def test_error_answers_500_code_minus_1_and_the_write_does_not_happen(rig: Rig) -> None:
    rig.use("error_rate=1")
    resp = requests.post(rig.url(f"{ODATA}/Catalog_X"), json={"Description": "новый"}, timeout=5)
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/json")
    expected = {"code": "-1", "message": {"lang": "ru", "value": MESSAGES["error"]}}
    assert resp.json() == {"odata.error": expected}
    rig.use("")
    assert requests.get(rig.url(f"{ODATA}/Catalog_X"), timeout=5).json() == {"value": []}


def test_busy_alternates_503_and_406_by_the_rng(rig: Rig) -> None:
    rig.use("busy_rate=1", seed=11)
    answers = [requests.get(rig.url(f"{ODATA}/Catalog_X"), timeout=5) for _ in range(16)]
    assert {r.status_code for r in answers} == {503, 406}
    for r in answers:
        text = r.json()["odata.error"]["message"]["value"]
        assert ("перегружен" in text) if r.status_code == 503 else ("лицензии" in text)


def test_lock_conflicts_hit_writes_only(rig: Rig) -> None:
    rig.use("lock_rate=1")
    assert requests.get(rig.url(f"{ODATA}/Catalog_X"), timeout=5).status_code == 200
    resp = requests.post(rig.url(f"{ODATA}/Catalog_X"), json={"Description": "x"}, timeout=5)
    assert resp.status_code == 500
    assert resp.json()["odata.error"]["message"]["value"].startswith("Конфликт блокировок")
    assert requests.get(rig.url("/_mock/items"), timeout=5).json() == {"value": []}


def test_timeout_hangs_past_the_client_timeout_and_nothing_is_written(rig: Rig) -> None:
    rig.use("timeout_rate=1,timeout_after_write_ratio=0,hang_s=20")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(rig.url(f"{ODATA}/Catalog_X"), json={"Description": "x"}, timeout=0.5)
    assert requests.get(rig.url("/_mock/items"), timeout=5).json() == {"value": []}


def test_post_commit_timeout_writes_then_hangs(rig: Rig) -> None:
    rig.use("timeout_rate=1,timeout_after_write_ratio=1,hang_s=20")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(rig.url(f"{ODATA}/Catalog_X"), json={"Description": "записано"}, timeout=0.5)
    assert rig.wait_for_items(1) == [{"Description": "записано"}]


def test_a_hang_shorter_than_the_client_timeout_ends_in_500(rig: Rig) -> None:
    rig.use("timeout_rate=1,hang_s=0.1")
    resp = requests.get(rig.url(f"{ODATA}/Catalog_X"), timeout=10)
    assert resp.status_code == 500
    assert resp.json()["odata.error"]["message"]["value"] == MESSAGES["timeout"]


def test_soap_paths_get_a_soap_11_fault(rig: Rig) -> None:
    rig.use("error_rate=1")
    resp = requests.post(rig.url(SOAP), data=b"<x/>", headers={"Content-Type": "text/xml"}, timeout=5)
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("text/xml")
    ns = {"soap": "http://schemas.xmlsoap.org/soap/envelope/"}
    doc = etree.fromstring(resp.content)
    fault = doc.find("soap:Body/soap:Fault", ns)
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Server"
    assert fault.findtext("faultstring") == MESSAGES["error"]


def test_unclassified_admin_paths_are_never_faulted(rig: Rig) -> None:
    rig.use("error_rate=1")
    assert requests.get(rig.url("/_mock/items"), timeout=5).status_code == 200


def test_fixed_seed_reproduces_the_status_sequence_over_http(rig: Rig) -> None:
    def statuses() -> list[int]:
        rig.use("error_rate=0.2,busy_rate=0.2,lock_rate=0.3,jitter_ms=2", seed=5)
        out = []
        for i in range(30):
            if i % 2:
                r = requests.post(rig.url(f"{ODATA}/Catalog_X"), json={"i": i}, timeout=5)
            else:
                r = requests.get(rig.url(f"{ODATA}/Catalog_X"), timeout=5)
            out.append(r.status_code)
        return out

    first, second = statuses(), statuses()
    assert first == second
    assert {200, 201, 500} <= set(first) and ({503, 406} & set(first))


def test_if_match_ignored_switch_hides_the_header_from_the_app(rig: Rig) -> None:
    rig.use("")
    stale = {"If-Match": "AAAAAgAAAAA="}
    assert requests.patch(rig.url(f"{ODATA}/Catalog_X"), json={}, headers=stale, timeout=5).status_code == 412
    rig.use("if_match_ignored=true")
    assert requests.patch(rig.url(f"{ODATA}/Catalog_X"), json={}, headers=stale, timeout=5).status_code == 200


def test_plus_as_space_switch(rig: Rig) -> None:
    rig.use("")
    literal = requests.get(rig.url(f"{ODATA}/echo?$filter=a+b"), timeout=5).json()["params"]["$filter"]
    rig.use("plus_as_space=true")
    spaced = requests.get(rig.url(f"{ODATA}/echo?$filter=a+b"), timeout=5).json()["params"]["$filter"]
    assert spaced == "a b"
    assert literal in ("a+b", "a b")  # how the app itself decodes '+' is the app's business


def test_html_auth_failure_switch_turns_401_into_a_200_html_page(rig: Rig) -> None:
    rig.use("")
    assert requests.get(rig.url(f"{ODATA}/secret"), timeout=5).status_code == 401
    rig.use("html_auth_failure=true")
    resp = requests.get(rig.url(f"{ODATA}/secret"), timeout=5)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "Ошибка авторизации" in resp.text
    assert requests.get(rig.url(f"{ODATA}/Catalog_X"), timeout=5).status_code == 200
