"""The OData client without a server: requests go through a fake transport adapter."""

from __future__ import annotations

import base64
import logging
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from connector.onec.client import ODataClient
from connector.onec.errors import Conflict, Fatal, NotFound, OutcomeUnknown, Retriable
from connector.onec.query import F
from connector.onec.retry import RetryPolicy
from tests.unit.onec.fakes import Handler, fake_session, odata_error, response

BASE = "http://1c.test/crm"
FAST = RetryPolicy(base=0.001, cap=0.002, retry_after_cap=0.01, deadline=5.0)


def make(handler: Handler, **kw: object) -> tuple[ODataClient, list[requests.PreparedRequest]]:
    session, adapter = fake_session(handler)
    client = ODataClient(
        BASE, "Администратор", "пароль-секрет", timezone="Europe/Moscow", session=session, policy=FAST, **kw
    )
    return client, adapter.requests


def params(req: requests.PreparedRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(req.url or "").query))


def refs(n: int) -> list[str]:
    return [f"00000000-0000-0000-0000-{i:012d}" for i in range(1, n + 1)]


def test_basic_auth_is_utf8_and_session_started_once() -> None:
    def handler(req: requests.PreparedRequest) -> requests.Response:
        headers = {"Set-Cookie": "ibsession=S1; Path=/"} if req.headers.get("IBSession") == "start" else {}
        return response(200, {"value": []}, headers=headers)

    client, sent = make(handler)
    list(client.iter_entities("Catalog_Проекты"))
    list(client.iter_entities("Catalog_Проекты"))
    auth = sent[0].headers["Authorization"]
    assert base64.b64decode(auth.split()[1]).decode("utf-8") == "Администратор:пароль-секрет"
    assert [r.headers.get("IBSession") for r in sent] == ["start", None]
    assert "ibsession=S1" in sent[1].headers["Cookie"]


def test_keyset_paging_uses_ref_key_cursor() -> None:
    data = refs(5)

    def handler(req: requests.PreparedRequest) -> requests.Response:
        p = params(req)
        after = p.get("$filter", "").split("'")[1] if "$filter" in p else ""
        rows = [{"Ref_Key": r, "Date": "2025-01-21T10:00:00"} for r in data if r > after][: int(p["$top"])]
        return response(200, {"value": rows})

    client, sent = make(handler, page_size=2)
    got = list(client.iter_entities("Document_CRM_Интерес", select=["Date"]))
    assert [g["Ref_Key"] for g in got] == data
    assert got[0]["Date"].tzinfo == ZoneInfo("Europe/Moscow")
    assert len(sent) == 3
    assert unquote(urlsplit(sent[0].url or "").path).endswith("/Document_CRM_Интерес")
    assert params(sent[0])["$orderby"] == "Ref_Key"
    assert params(sent[0])["$select"] == "Ref_Key,Date"
    assert params(sent[2])["$filter"] == f"Ref_Key gt guid'{data[3]}'"


def test_skip_paging_for_registers_and_user_filter_is_kept() -> None:
    def handler(req: requests.PreparedRequest) -> requests.Response:
        skip = int(params(req).get("$skip", "0"))
        return response(200, {"value": [{"LineNumber": str(i)} for i in range(skip, min(skip + 2, 3))]})

    client, sent = make(handler, page_size=2)
    flt = F("Сотрудник_Key") == "x'y"
    got = list(client.iter_entities("AccumulationRegister_ЗаданияНаРаботу_RecordType", filter=flt))
    assert [g["LineNumber"] for g in got] == [0, 1, 2]
    assert [params(r).get("$skip") for r in sent] == [None, "2"]
    assert params(sent[1])["$filter"] == "Сотрудник_Key eq 'x''y'"


def test_retriable_errors_are_retried_until_success() -> None:
    answers = [
        odata_error(500, "-1", "Конфликт блокировок"),
        response(503, text="", headers={"Retry-After": "0"}),
        response(200, {"value": [{"Ref_Key": refs(1)[0]}]}),
    ]
    client, sent = make(lambda req: answers.pop(0))
    assert len(list(client.iter_entities("Catalog_X"))) == 1
    assert len(sent) == 3


def test_retries_stop_at_the_deadline() -> None:
    policy = RetryPolicy(base=0.01, cap=0.01, deadline=0.05, max_attempts=1000)
    session, adapter = fake_session(lambda req: response(503, text="down"))
    client = ODataClient(BASE, "u", "p", timezone="UTC", session=session, policy=policy)
    with pytest.raises(Retriable, match="unavailable"):
        client.get("Catalog_X", refs(1)[0])
    assert 1 < len(adapter.requests) < 20


def test_write_timeout_is_outcome_unknown_and_not_retried() -> None:
    def handler(req: requests.PreparedRequest) -> requests.Response:
        raise requests.ReadTimeout("read timed out")

    client, sent = make(handler)
    with pytest.raises(OutcomeUnknown):
        client.create("Document_УчетВремени", {"Комментарий": "x"})
    assert len(sent) == 1


def test_patch_sends_if_match_and_412_is_conflict() -> None:
    client, sent = make(lambda req: odata_error(412, "-1", "Версия объекта не совпадает"))
    with pytest.raises(Conflict):
        client.patch("Document_УчетВремени", refs(1)[0], {"Комментарий": "x"}, if_match="AAAADAAAAAA=")
    assert sent[0].method == "PATCH" and sent[0].headers["If-Match"] == "AAAADAAAAAA="
    assert len(sent) == 1


def test_unknown_entity_set_and_field_are_named() -> None:
    client, _ = make(lambda req: odata_error(404, "8", 'Тип сущности "Catalog_Нет" не найден.'))
    with pytest.raises(NotFound, match="entity set Catalog_Нет is not published"):
        list(client.iter_entities("Catalog_Нет"))
    client, _ = make(lambda req: odata_error(404, "10", 'Свойство "Бюджет" не найдено.'))
    with pytest.raises(NotFound, match="Catalog_Проекты.*Бюджет"):
        client.get("Catalog_Проекты", refs(1)[0], select=["Бюджет"])


def test_html_login_page_is_a_clear_fatal_error() -> None:
    page = "<!DOCTYPE html><html><body>Вход в систему</body></html>"
    client, _ = make(lambda req: response(200, text=page, headers={"Content-Type": "text/html"}))
    with pytest.raises(Fatal, match="HTML page instead of JSON for entity set Catalog_X"):
        list(client.iter_entities("Catalog_X"))


def test_invalid_base_url_is_rejected_without_leaking_the_password() -> None:
    bad_urls = (
        "",
        "ftp://h/crm",
        "not a url",
        "http://u:hunter2@/crm",
        "http://h:99999/crm",
        "http://h/crm?apikey=hunter2",
    )
    for bad in bad_urls:
        with pytest.raises(Fatal, match="invalid 1C base URL") as info:
            ODataClient(bad, "u", "p", timezone="UTC")
        assert "hunter2" not in str(info.value)


def test_base_url_is_normalised_and_loses_credentials() -> None:
    client = ODataClient("http://u:hunter2@1c.test/crm/odata/standard.odata/", "u", "p", timezone="UTC")
    assert client.root == "http://1c.test/crm/odata/standard.odata"


def test_count_find_by_and_document_actions() -> None:
    def handler(req: requests.PreparedRequest) -> requests.Response:
        path = unquote(urlsplit(req.url or "").path)
        if path.endswith("/$count"):
            return response(200, text="17")
        if path.endswith(("/Post", "/Unpost")):
            return response(200, {})
        return response(200, {"value": [{"Ref_Key": refs(1)[0], "ТТ_КлючСтроки": "k"}]})

    client, sent = make(handler)
    assert client.count("Catalog_X", F("Code") == "1") == 17
    found = client.find_by("Document_УчетВремени", "ТТ_КлючСтроки", "k")
    assert found is not None and found["Ref_Key"] == refs(1)[0]
    assert params(sent[1])["$filter"] == "ТТ_КлючСтроки eq 'k'"
    client.post_document("Document_УчетВремени", refs(1)[0])
    client.unpost_document("Document_УчетВремени", refs(1)[0])
    assert unquote(sent[2].url or "").endswith(f"(guid'{refs(1)[0]}')/Post?PostingModeOperational=false")
    assert sent[3].method == "POST" and (sent[3].url or "").endswith("/Unpost")


def test_logs_and_errors_never_show_credentials(caplog: pytest.LogCaptureFixture) -> None:
    def handler(req: requests.PreparedRequest) -> requests.Response:
        raise requests.ConnectionError(f"boom {req.headers['Authorization']} for {req.url}")

    session, _ = fake_session(handler)
    policy = RetryPolicy(base=0.001, cap=0.001, deadline=1.0, max_attempts=2)
    client = ODataClient(
        "http://u:hunter2@1c.test/crm/",
        "Администратор",
        "пароль-секрет",
        timezone="UTC",
        session=session,
        policy=policy,
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Retriable) as info:
        client.get("Catalog_X", refs(1)[0])
    basic = base64.b64encode("Администратор:пароль-секрет".encode()).decode()
    for text in (caplog.text, str(info.value), repr(info.value)):
        for secret in ("hunter2", "K123", "пароль-секрет", basic):
            assert secret not in text


def test_parallel_callers_open_one_session_and_respect_the_concurrency_cap() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    in_flight = {"now": 0, "max": 0, "starts": 0}
    release = threading.Event()

    def handler(req: requests.PreparedRequest) -> requests.Response:
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
            starts = req.headers.get("IBSession") == "start"
            in_flight["starts"] += starts
        release.wait(0.05)  # overlap the requests; correctness does not depend on this wait
        with lock:
            in_flight["now"] -= 1
        headers = {"Set-Cookie": "ibsession=S1"} if starts else {}
        return response(200, {"value": [{"Ref_Key": refs(1)[0]}]}, headers=headers)

    client, sent = make(handler, max_concurrency=2, rate_limit=10_000)
    with ThreadPoolExecutor(max_workers=6) as pool:
        found = list(pool.map(lambda _: client.find_by("Catalog_X", "Code", "1"), range(12)))
    assert all(f is not None for f in found)
    assert len(sent) == 12
    assert in_flight["max"] <= 2
    assert in_flight["starts"] == 1
