"""A 1C server ends sessions nobody uses: a client killed without ``IBSession: finish`` does not
hold a licence forever (mock-1c --session-timeout)."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from mock_1c.access import Sessions
from tests.support.mock1c import running_mock_1c


def test_idle_sessions_expire_and_used_ones_stay() -> None:
    now = [0.0]
    pool = Sessions(2, idle_timeout=10, clock=lambda: now[0])
    a, b = pool.start(), pool.start()
    assert a and b and pool.start() is None  # full
    now[0] = 8
    assert pool.is_open(a)  # used at 8: stays until 18
    now[0] = 12
    assert not pool.is_open(b) and pool.count() == 1  # idle since 0: ended by the server
    assert pool.start() is not None
    assert Sessions(1, idle_timeout=None, clock=lambda: 1e9).start() is not None


def test_an_abandoned_session_frees_its_place_after_the_timeout() -> None:
    with running_mock_1c(max_sessions=1, session_timeout=1) as onec:
        url = f"{onec.odata_url}/Catalog_Пользователи?$top=1&$format=json"
        first = requests.get(url, auth=onec.auth, headers={"IBSession": "start"}, timeout=10)
        assert first.status_code == 200 and "ibsession" in first.cookies
        refused = requests.get(url, auth=onec.auth, headers={"IBSession": "start"}, timeout=10)
        assert refused.status_code == 406  # the abandoned session still holds the only place
        time.sleep(1.5)
        again = requests.get(url, auth=onec.auth, headers={"IBSession": "start"}, timeout=10)
        assert again.status_code == 200
        stale = requests.get(url, cookies={"ibsession": first.cookies["ibsession"]}, timeout=10)
        assert stale.status_code == 400  # the expired cookie is stale


def test_a_negative_timeout_is_refused_with_a_message() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mock_1c.cli", "serve", "--session-timeout", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "--session-timeout" in run.stderr and "Traceback" not in run.stderr
