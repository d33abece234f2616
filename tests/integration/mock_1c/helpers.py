"""Small helpers for talking to the mock the way a 1C client does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import requests

from testbed.mock1c import MockOneC


def url(m: MockOneC, resource: str) -> str:
    """``resource`` percent-encoded as UTF-8 (keys and $-options stay readable in tests)."""
    return m.odata_url + "/" + quote(resource, safe="/()'=,$&?:")


def query(**params: Any) -> str:
    """A query string with spaces as %20 (1C reads ``+`` as a literal plus)."""
    return urlencode(params, quote_via=quote)


def get_json(m: MockOneC, resource: str, **params: Any) -> Any:
    r = requests.get(url(m, resource) + "?" + query(**{"$format": "json", **params}), auth=m.auth, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def error_of(r: requests.Response) -> tuple[int, str, str]:
    """(HTTP status, 1C code, message) of an OData JSON error answer."""
    body = r.json()["odata.error"]
    assert body["message"]["lang"] == "ru"
    return r.status_code, body["code"], body["message"]["value"]


def first(m: MockOneC, entity_set: str, **params: Any) -> dict[str, Any]:
    return get_json(m, entity_set, **{"$top": "1", **params})["value"][0]


WORK_TYPE = "ef6dc999-13b0-5fe2-9247-faf5b05fcee8"
"""A work type of the seeded base (``Catalog_ВидыРабот``)."""


def timesheet(employee: str, monday: str, sunday: str, **hours: float) -> dict[str, Any]:
    """A ``Document_УчетВремени`` body with one row: ``Пн=2`` puts 2 hours on Monday."""
    row = {"LineNumber": "1", "ВидРабот_Key": WORK_TYPE, **{f"{d}Длительность": h for d, h in hours.items()}}
    return {
        "Date": monday + "T00:00:00",
        "Сотрудник_Key": employee,
        "ДатаС": monday + "T00:00:00",
        "ДатаПо": sunday + "T00:00:00",
        "Операции": [row],
    }


def employee(m: MockOneC, n: int) -> str:
    """The Ref_Key of the seeded base's ``n``-th employee (by code)."""
    rows = get_json(m, "Catalog_Сотрудники", **{"$orderby": "Code", "$skip": str(n), "$top": "1"})["value"]
    return str(rows[0]["Ref_Key"])
