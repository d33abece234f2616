"""The error mapping table: each 1C answer or transport failure becomes one typed error."""

from __future__ import annotations

import pytest
import requests

from connector.onec.errors import (
    ClosedPeriod,
    Conflict,
    Fatal,
    NotFound,
    OneCError,
    OutcomeUnknown,
    Retriable,
    StaleSession,
    classify_exception,
    classify_response,
    json_body,
    parse_retry_after,
)
from tests.unit.onec.fakes import odata_error, response

SET = "Document_УчетВремени"

TABLE: list[tuple[requests.Response, type[OneCError], str]] = [
    (odata_error(404, "9", "Экземпляр сущности не найден по переданному ключу."), NotFound, SET),
    (odata_error(404, "8", 'Тип сущности "Catalog_Секрет" не найден.'), NotFound, "not published"),
    (odata_error(404, "10", 'Свойство "Бюджет" не найдено.'), NotFound, "Бюджет"),
    (odata_error(412, "-1", "Версия объекта не совпадает"), Conflict, "If-Match"),
    (
        odata_error(500, "-1", "Не удалось записать: 14.01.2025: дата запрета изменения данных 31.01.2025."),
        ClosedPeriod,
        "дата запрета",
    ),
    (odata_error(500, "-1", "Конфликт блокировок при выполнении транзакции"), Retriable, "блокировок"),
    (odata_error(500, "-1", "Сервер перегружен"), Retriable, "перегружен"),
    (odata_error(500, "-1", "Превышено 24 часа в день"), Fatal, "24"),
    (response(503, text="Service Unavailable", headers={"Retry-After": "12"}), Retriable, "unavailable"),
    (odata_error(406, "-1", "Превышено количество сеансов"), Retriable, "pool"),
    (response(429, text="slow down", headers={"Retry-After": "3"}), Retriable, "rate limit"),
    (odata_error(401, "20", "Недостаточно прав"), Fatal, "access rights"),
    (
        odata_error(401, "20", "Ошибка аутентификации: неверное имя пользователя или пароль."),
        Fatal,
        "credentials",
    ),
    (response(401, text=""), Fatal, "credentials"),
    (odata_error(400, "14", "Ошибка разбора параметра $filter"), Fatal, "code 14"),
    (
        response(200, text="<html><form>Вход</form></html>", headers={"Content-Type": "text/html"}),
        Fatal,
        "HTML",
    ),
    (
        response(500, text="<html>Internal error</html>", headers={"Content-Type": "text/html"}),
        Retriable,
        "transiently",
    ),
]


@pytest.mark.parametrize(("resp", "kind", "words"), TABLE)
def test_response_maps_to_one_typed_error(resp: requests.Response, kind: type[OneCError], words: str) -> None:
    err = classify_response(resp, entity_set=SET, write=True)
    assert type(err) is kind
    assert words in str(err)
    assert err is not None and err.status == resp.status_code


def test_generic_500_is_retried_on_reads_and_refused_on_writes_unless_transient() -> None:
    rule = odata_error(500, "-1", "Превышено 24 часа в день")
    assert type(classify_response(rule, write=True)) is Fatal
    assert type(classify_response(rule, write=False)) is Retriable
    db = odata_error(500, "-1", "Ошибка при выполнении операции с информационной базой")
    assert type(classify_response(db, write=True)) is Retriable


def test_success_is_not_an_error() -> None:
    assert classify_response(response(200, {"value": []})) is None
    assert classify_response(response(204)) is None


def test_retry_after_is_carried() -> None:
    err = classify_response(response(503, text="", headers={"Retry-After": "12"}))
    assert isinstance(err, Retriable) and err.retry_after == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_stale_session_only_when_a_cookie_was_sent() -> None:
    resp = odata_error(400, "-1", "Сеанс не найден или завершен")
    assert isinstance(classify_response(resp, had_session_cookie=True), StaleSession)
    assert type(classify_response(resp, had_session_cookie=False)) is Fatal


def test_transport_failures() -> None:
    url = "http://u:pw@h/crm/odata/standard.odata/Catalog_X"
    assert type(classify_exception(requests.ReadTimeout(), url=url, write=False)) is Retriable
    assert type(classify_exception(requests.ReadTimeout(), url=url, write=True)) is OutcomeUnknown
    assert type(classify_exception(requests.ConnectTimeout(), url=url, write=True)) is Retriable
    refused = requests.ConnectionError("NewConnectionError: Connection refused")
    assert type(classify_exception(refused, url=url, write=True)) is Retriable
    reset = requests.ConnectionError("RemoteDisconnected")
    assert type(classify_exception(reset, url=url, write=True)) is OutcomeUnknown
    err = classify_exception(requests.exceptions.InvalidURL("x"), url=url, write=False)
    assert type(err) is Fatal and "pw" not in str(err)


def test_non_json_success_is_fatal_not_a_decode_error() -> None:
    with pytest.raises(Fatal, match="not JSON for entity set Catalog_X"):
        json_body(response(200, text="oops"), "Catalog_X")
