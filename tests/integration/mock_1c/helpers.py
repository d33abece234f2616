"""Small helpers for talking to the mock the way a 1C client does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import requests

from tests.support.mock1c import MockOneC


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
