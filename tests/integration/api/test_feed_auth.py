"""The feed's Bearer token: missing, wrong, the admin token, an unconfigured token → 401, no leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from testbed.connector_app import ADMIN_TOKEN, FEED_TOKEN, running_connector

FEED = "/tracker/v1/tasks"
INTAKE = "/tracker/v1/time-entries"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", f"Bearer {ADMIN_TOKEN}", f"Basic {FEED_TOKEN}", FEED_TOKEN],
)
def test_feed_and_intake_refuse_anything_but_the_feed_token(
    tmp_path: Path, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with running_connector(f"sqlite:///{tmp_path / 'store.db'}") as app:
        for method, path in (("GET", FEED), ("POST", INTAKE)):
            resp = requests.request(method, app.url + path, headers=headers, json={"entries": []}, timeout=30)
            assert resp.status_code == 401, (method, path)
            assert resp.headers["WWW-Authenticate"] == "Bearer"
            assert resp.json() == {"error": "unauthorized", "message": "a valid Bearer token is required"}
            assert FEED_TOKEN not in resp.text and ADMIN_TOKEN not in resp.text
        ok = requests.get(app.url + FEED, headers={"Authorization": f"bearer {FEED_TOKEN}"}, timeout=30)
        assert ok.status_code == 200


def test_an_unconfigured_feed_token_refuses_every_request(tmp_path: Path) -> None:
    with running_connector(f"sqlite:///{tmp_path / 'store.db'}", tracker_feed_token="") as app:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
            resp = requests.get(app.url + FEED, headers=headers, timeout=30)
            assert resp.status_code == 401


def test_authentication_is_checked_before_parameters(tmp_path: Path) -> None:
    with running_connector(f"sqlite:///{tmp_path / 'store.db'}") as app:
        resp = requests.get(app.url + FEED, params={"limit": 0, "cursor": "junk"}, timeout=30)
        assert resp.status_code == 401
        bad_body = requests.post(app.url + INTAKE, data=b"{not json", timeout=30)
        assert bad_body.status_code == 401
