"""Basic auth with Cyrillic credentials, IBSession cookies, the session limit and /_mock/stats."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests
from requests.auth import HTTPBasicAuth

from tests.support.mock1c import MockOneC, running_mock_1c


@pytest.fixture(scope="module")
def small_pool() -> Iterator[MockOneC]:
    with running_mock_1c(max_sessions=2, users=3, interests=5, projects=1, tasks=2) as m:
        yield m


def _catalog(m: MockOneC) -> str:
    return m.odata_url + "/Catalog_Номенклатура?$format=json"


def test_cyrillic_basic_auth_as_utf8(small_pool: MockOneC) -> None:
    assert requests.get(_catalog(small_pool), auth=small_pool.auth, timeout=10).status_code == 200
    token = base64.b64encode("Интегратор:s3cret".encode()).decode()
    r = requests.get(_catalog(small_pool), headers={"Authorization": f"Basic {token}"}, timeout=10)
    assert r.status_code == 200


def test_wrong_or_missing_credentials_answer_401(small_pool: MockOneC) -> None:
    latin1 = base64.b64encode("Интегратор:s3cret".encode("cp1251")).decode()
    for headers in ({}, {"Authorization": f"Basic {latin1}"}, {"Authorization": "Basic !!!"}):
        r = requests.get(_catalog(small_pool), headers=headers, timeout=10)
        assert r.status_code == 401, headers
        assert r.headers["WWW-Authenticate"].startswith("Basic")
    r = requests.get(_catalog(small_pool), auth=HTTPBasicAuth("Интегратор".encode(), b"wrong"), timeout=10)
    assert r.status_code == 401 and r.json()["odata.error"]["code"] == "20"


def test_sessions_cookie_limit_and_stale_cookie(small_pool: MockOneC) -> None:
    s1, s2, s3 = (requests.Session() for _ in range(3))
    for s in (s1, s2):
        r = s.get(_catalog(small_pool), auth=small_pool.auth, headers={"IBSession": "start"}, timeout=10)
        assert r.status_code == 200 and s.cookies.get("ibsession")
    assert s1.get(_catalog(small_pool), timeout=10).status_code == 200  # the cookie authenticates
    full = s3.get(_catalog(small_pool), auth=small_pool.auth, headers={"IBSession": "start"}, timeout=10)
    assert full.status_code == 406
    sid = s1.cookies["ibsession"]
    assert s1.get(_catalog(small_pool), headers={"IBSession": "finish"}, timeout=10).status_code == 200
    stale = requests.get(_catalog(small_pool), cookies={"ibsession": sid}, auth=small_pool.auth, timeout=10)
    assert stale.status_code == 400
    r = s3.get(_catalog(small_pool), auth=small_pool.auth, headers={"IBSession": "start"}, timeout=10)
    assert r.status_code == 200
    for s in (s2, s3):
        s.get(_catalog(small_pool), headers={"IBSession": "finish"}, timeout=10)


def test_stats_count_round_trips_by_method_set_and_status(small_pool: MockOneC) -> None:
    small_pool.reset_stats()
    requests.get(_catalog(small_pool), auth=small_pool.auth, timeout=10)
    requests.get(_catalog(small_pool), auth=small_pool.auth, timeout=10)
    requests.get(small_pool.odata_url + "/Catalog_Нет?$format=json", auth=small_pool.auth, timeout=10)
    stats = small_pool.stats()
    assert stats["total"] == 3
    assert stats["by_method"] == {"GET": 3}
    assert stats["by_entity_set"] == {"Catalog_Номенклатура": 2, "Catalog_Нет": 1}
    assert stats["by_status"] == {"200": 2, "404": 1}
    small_pool.reset_stats()
    assert small_pool.stats()["total"] == 0
