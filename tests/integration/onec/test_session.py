"""IBSession against mock-1c: one reused session, 406 when the pool is full, restart on a stale cookie."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connector.onec.errors import Retriable
from connector.onec.retry import RetryPolicy
from tests.integration.onec.conftest import client_for
from tests.support.mock1c import MockOneC, running_mock_1c

INTERESTS = "Document_CRM_Интерес"


@pytest.fixture(scope="module")
def one_seat() -> Iterator[MockOneC]:
    with running_mock_1c(max_sessions=1) as m:
        yield m


def open_sessions(mock: MockOneC) -> int:
    return int(requests.get(f"{mock.admin_url}/health", timeout=10).json()["sessions"])


def test_one_session_is_reused_and_the_full_pool_answers_406(one_seat: MockOneC) -> None:
    first = client_for(one_seat)
    assert len(list(first.iter_entities(INTERESTS, page_size=5))) == 50
    assert first.count(INTERESTS) == 50
    assert open_sessions(one_seat) == 1

    impatient = RetryPolicy(base=0.01, cap=0.02, deadline=0.3)
    second = client_for(one_seat, policy=impatient)
    with pytest.raises(Retriable, match="session pool is full") as info:
        second.count(INTERESTS)
    assert info.value.status == 406

    first.close()  # IBSession: finish frees the seat
    assert open_sessions(one_seat) == 0
    assert second.count(INTERESTS) == 50
    assert open_sessions(one_seat) == 1
    second.close()


def test_stale_session_cookie_is_replaced_by_a_new_session(one_seat: MockOneC) -> None:
    client = client_for(one_seat)
    client.count(INTERESTS)
    old = client.http.session.cookies.get("ibsession")
    client.close()  # the server forgets the session; put the dead cookie back as if we had not noticed
    client.http.session.cookies.set("ibsession", old)
    client.http._session_state = "active"
    assert client.count(INTERESTS) == 50
    assert client.http.session.cookies.get("ibsession") not in (None, old)
    client.close()
