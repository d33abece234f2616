"""Feed cursors and ETag matching (connector.api.tracker_feed), without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.api.errors import ApiError
from connector.api.tracker_feed import FeedQuery, decode_cursor, encode_cursor, etag_matches, parse_instant

OPEN = FeedQuery(None, "open", None)


def test_a_cursor_round_trips_its_position() -> None:
    cursor = encode_cursor("secret", 42, "CRM-000512", OPEN)
    assert decode_cursor("secret", cursor, OPEN) == (42, "CRM-000512")


def test_a_cursor_signed_with_another_token_is_refused() -> None:
    cursor = encode_cursor("old-token", 42, "T", OPEN)
    with pytest.raises(ApiError) as err:
        decode_cursor("new-token", cursor, OPEN)
    assert err.value.status_code == 400


def test_a_cursor_is_bound_to_its_filters() -> None:
    cursor = encode_cursor("s", 1, "T", FeedQuery("A@x.example", "open", None))
    assert decode_cursor("s", cursor, FeedQuery("a@X.example", "open", None)) == (1, "T")
    since = datetime(2025, 1, 1, tzinfo=UTC)
    for other in (FeedQuery("a@x.example", "all", None), FeedQuery("a@x.example", "open", since)):
        with pytest.raises(ApiError, match="other filters"):
            decode_cursor("s", cursor, other)


def test_etag_matching_follows_if_none_match() -> None:
    assert etag_matches('W/"abc"', 'W/"abc"')
    assert etag_matches('"abc"', 'W/"abc"')
    assert etag_matches('"x", W/"abc"', 'W/"abc"')
    assert etag_matches("*", 'W/"abc"')
    assert not etag_matches('W/"abd"', 'W/"abc"')
    assert not etag_matches(None, 'W/"abc"')


def test_instants_need_an_offset() -> None:
    assert parse_instant("2025-03-01T09:00:00Z", "x") == datetime(2025, 3, 1, 9, tzinfo=UTC)
    with pytest.raises(ApiError, match="offset"):
        parse_instant("2025-03-01T09:00:00", "x")


@pytest.mark.parametrize("junk", ["abc.ПОДПИСЬ", "тело.abc", "..", "a.b.c", "=.="])
def test_non_ascii_and_malformed_cursors_are_a_400_not_a_crash(junk: str) -> None:
    with pytest.raises(ApiError) as err:
        decode_cursor("secret", junk, OPEN)
    assert err.value.status_code == 400


@pytest.mark.parametrize("edge", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_instants_beyond_the_calendar_in_utc_are_a_422(edge: str) -> None:
    with pytest.raises(ApiError, match="out of range") as err:
        parse_instant(edge, "changed_since")
    assert err.value.status_code == 422
