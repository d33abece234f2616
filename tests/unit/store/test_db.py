from datetime import timedelta

import pytest

from connector.store.db import StoreUrlError, normalize_url
from connector.store.queues import exponential_backoff


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/bridge", "postgresql+psycopg://u:p@db:5432/bridge"),
        ("postgres://u@db/bridge", "postgresql+psycopg://u@db/bridge"),
        ("postgresql+psycopg://u@db/bridge", "postgresql+psycopg://u@db/bridge"),
        ("sqlite:///onec_bridge.db", "sqlite:///onec_bridge.db"),
    ],
)
def test_database_urls_are_normalised_to_supported_drivers(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_name_the_setting_and_the_fix(bad: str) -> None:
    with pytest.raises(StoreUrlError, match="ONEC_BRIDGE_DATABASE_URL"):
        normalize_url(bad)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    delays = [exponential_backoff(n) for n in range(1, 20)]
    assert delays[:3] == [timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8)]
    assert delays == sorted(delays)
    assert delays[-1] == timedelta(hours=1)
