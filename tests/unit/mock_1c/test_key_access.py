"""The mock reaches rows through the ``Ref_Key`` index as 1C does: a keyset page and a batch read by
reference give the rows the whole filter gives, without evaluating the filter on every object of
the set for every page (a mock must never be what a benchmark measures)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from mock_1c.infobase import InfoBase
from mock_1c.odata.service import ODataRequest, ODataService
from mock_1c.odata_filter import parse_filter
from mock_1c.odata_filter_keys import key_access
from mock_1c.seed import SeedCounts, generate

SET = "Document_CRM_Интерес"
A, B = "0f0e0d0c-1111-2222-3333-444455556666", "1b2c3d4e-0000-11ef-8a1b-0050569f1a2b"


@pytest.fixture(scope="module")
def service() -> ODataService:
    return ODataService(InfoBase(generate(7, SeedCounts.for_scale("small", interests=300))))


def get(service: ODataService, query: str, path: str = SET) -> Any:
    req = ODataRequest("GET", path, query.encode("utf-8"), "http://h/crm/odata/standard.odata/")
    resp, _ = service.handle(req)
    assert resp.status_code == 200, bytes(resp.body).decode("utf-8")
    return json.loads(resp.body) if path == SET else int(resp.body)


def refs(service: ODataService, flt: str | None, top: int | None = None) -> list[str]:
    q = "$format=json&$select=Ref_Key&$orderby=Ref_Key" + (f"&$top={top}" if top else "")
    q += f"&$filter={quote(flt, safe='')}" if flt else ""
    return [o["Ref_Key"] for o in get(service, q)["value"]]


def test_the_index_access_of_a_filter() -> None:
    access = key_access(parse_filter(f"(Ref_Key gt guid'{A}') and (ВидИнтереса eq 'Сервис')"))
    assert (access.after, access.inclusive, access.refs) == (A, False, None)
    assert "Сервис" in access.rest_key
    assert key_access(parse_filter(f"guid'{A.upper()}' le Ref_Key")).after == A
    assert key_access(parse_filter(f"guid'{A}' le Ref_Key")).inclusive
    batch = key_access(parse_filter(f"Posted eq true and (Ref_Key eq guid'{A}' or guid'{B}' eq Ref_Key)"))
    assert batch.refs == {A, B} and batch.after is None and batch.rest is not None
    mixed = key_access(parse_filter(f"Ref_Key eq guid'{A}' or Posted eq true"))
    assert mixed.refs is None and mixed.rest is not None


@pytest.mark.parametrize(
    "flt", [None, "ВидИнтереса eq 'Сервис'", "not (Posted eq true) or Date ge datetime'2026-01-01T00:00:00'"]
)
@pytest.mark.parametrize("size", [1, 7, 50])
def test_keyset_pages_give_exactly_the_rows_of_the_whole_filter(
    service: ODataService, flt: str | None, size: int
) -> None:
    whole = refs(service, flt)
    paged: list[str] = []
    while True:
        after = f"Ref_Key gt guid'{paged[-1]}'" if paged else None
        both = " and ".join(f"({p})" for p in (after, flt) if p) or None
        page = refs(service, both, top=size)
        paged += page
        if len(page) < size:
            break
    assert paged == whole and len(whole) > 0
    middle = whole[len(whole) // 2]
    text = f"Ref_Key ge guid'{middle}'" + (f" and ({flt})" if flt else "")
    count = get(service, "$filter=" + quote(text, safe=""), path=f"{SET}/$count")
    assert count == len(whole) - len(whole) // 2


def test_a_batch_read_by_reference_gives_the_matching_objects(service: ODataService) -> None:
    service_refs = refs(service, "ВидИнтереса eq 'Сервис'")
    sale = refs(service, "ВидИнтереса eq 'Продажа'")[0]
    wanted = service_refs[:3] + [sale, "00000000-0000-0000-0000-0000000000ff"]
    batch = " or ".join(f"Ref_Key eq guid'{r}'" for r in wanted)
    assert refs(service, f"(ВидИнтереса eq 'Сервис') and ({batch})") == sorted(service_refs[:3])
    assert refs(service, batch) == sorted(service_refs[:3] + [sale])
