"""No password, API key or Authorization header in logs or exception texts (log capture)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import date

import pytest

from connector.onec.client import ODataClient
from connector.onec.errors import Fatal, OneCError
from connector.onec.retry import RetryPolicy
from connector.onec.soap import LabourService
from tests.support.mock1c import MockOneC, running_mock_1c

INTERESTS = "Document_CRM_Интерес"
WRONG = "Неверный-пароль-42"
FAST = RetryPolicy(base=0.01, cap=0.02, deadline=2.0)


@pytest.fixture(scope="module")
def html_login() -> Iterator[MockOneC]:
    with running_mock_1c(faults="html_auth_failure=true,error_rate=0.2", fault_seed=3) as m:
        yield m


def secrets_of(mock: MockOneC) -> list[str]:
    out = [mock.password, WRONG, "KEY-0451"]
    for password in (mock.password, WRONG):
        out.append(base64.b64encode(f"{mock.user}:{password}".encode()).decode())
    return out


def test_html_login_page_is_fatal_and_nothing_secret_is_logged(
    html_login: MockOneC, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[OneCError] = []
    url = html_login.base_url.replace("http://", f"http://{html_login.user}:{html_login.password}@")
    good = ODataClient(url, html_login.user, html_login.password, timezone="UTC", policy=FAST)
    assert len(list(good.iter_entities(INTERESTS, page_size=10))) == 50
    with pytest.raises(Fatal, match="query string") as url_info:
        ODataClient(html_login.base_url + "?apikey=KEY-0451", html_login.user, WRONG, timezone="UTC")
    errors.append(url_info.value)
    bad = ODataClient(html_login.base_url, html_login.user, WRONG, timezone="UTC", policy=FAST)
    with pytest.raises(Fatal, match="HTML page instead of JSON for entity set") as info:
        list(bad.iter_entities(INTERESTS))
    errors.append(info.value)
    soap = LabourService(html_login.base_url, html_login.user, WRONG, policy=FAST)
    with pytest.raises(OneCError) as soap_info:
        list(soap.get_labour(date(2026, 3, 1), date(2026, 3, 2)))
    errors.append(soap_info.value)
    texts = [caplog.text, *(str(e) for e in errors), *(repr(e) for e in errors)]
    for text in texts:
        for secret in secrets_of(html_login):
            assert secret not in text
        assert "Authorization" not in text
