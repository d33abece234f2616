"""Fault profiles parse strictly, and a fixed seed reproduces the same faults for the same requests."""

from __future__ import annotations

from collections import Counter

import pytest

from mock_1c.faults import MESSAGES, Fault, FaultInjector, FaultProfile, error_body


def test_parse_reads_rates_times_and_switches() -> None:
    p = FaultProfile.parse(
        "error_rate=0.2, timeout_rate=0.05,latency_ms=40,jitter_ms=20,busy_rate=0.05,lock_rate=0.05,"
        "skip_cost_us=5,hang_s=2.5,timeout_after_write_ratio=1,if_match_ignored=true,plus_as_space=1,"
        "inlinecount_ignores_paging=yes,html_auth_failure=false"
    )
    assert p == FaultProfile(
        error_rate=0.2,
        timeout_rate=0.05,
        latency_ms=40,
        jitter_ms=20,
        busy_rate=0.05,
        lock_rate=0.05,
        skip_cost_us=5.0,
        hang_s=2.5,
        timeout_after_write_ratio=1.0,
        if_match_ignored=True,
        plus_as_space=True,
        inlinecount_ignores_paging=True,
        html_auth_failure=False,
    )
    assert isinstance(p.latency_ms, int)


def test_empty_spec_is_the_quiet_default() -> None:
    assert FaultProfile.parse("") == FaultProfile()
    assert FaultProfile.parse(" , ") == FaultProfile()


def test_dict_round_trip() -> None:
    p = FaultProfile.parse("error_rate=0.1,latency_ms=3,if_match_ignored=true")
    assert FaultProfile.from_dict(p.to_dict()) == p
    assert p.to_dict()["error_rate"] == 0.1
    assert FaultProfile.from_dict({"busy_rate": "0.5", "plus_as_space": True}).busy_rate == 0.5


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("eror_rate=0.1", "unknown fault setting 'eror_rate'"),
        ("error_rate=1.5", "'error_rate' is a rate"),
        ("timeout_after_write_ratio=2", "'timeout_after_write_ratio' is a rate"),
        ("latency_ms=-1", "must not be negative"),
        ("jitter_ms=1.5", "'jitter_ms' must be an integer"),
        ("hang_s=abc", "'hang_s' must be a number"),
        ("hang_s=nan", "finite"),
        ("if_match_ignored=maybe", "true or false"),
        ("error_rate", "not key=value"),
        ("error_rate=0.6,busy_rate=0.6", "must not exceed 1"),
    ],
)
def test_parse_refuses_bad_settings_with_a_clear_message(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        FaultProfile.parse(spec)
    assert fragment in str(info.value)


def test_unknown_key_message_lists_allowed_keys() -> None:
    with pytest.raises(ValueError) as info:
        FaultProfile.from_dict({"nope": 1})
    assert "error_rate" in str(info.value) and "html_auth_failure" in str(info.value)


def test_from_dict_refuses_booleans_as_numbers() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        FaultProfile.from_dict({"latency_ms": True})


SET = "/crm/odata/standard.odata/Catalog_X"
REQUESTS = [("GET", SET), ("POST", SET)] * 200
MIXED = FaultProfile(
    error_rate=0.2, timeout_rate=0.1, busy_rate=0.1, lock_rate=0.2, latency_ms=5, jitter_ms=10
)


def _run(seed: int) -> list[Fault | None]:
    injector = FaultInjector(MIXED, seed=seed)
    return [injector.decide(m, p) for m, p in REQUESTS]


def test_same_seed_same_requests_same_faults() -> None:
    assert _run(42) == _run(42)
    assert _run(42) != _run(43)


def test_kinds_follow_rates_and_locks_hit_writes_only() -> None:
    decisions = [(m, d) for (m, _), d in zip(REQUESTS, _run(7), strict=True)]
    kinds = Counter(d.kind for _, d in decisions if d is not None)
    assert {"error", "timeout", "busy", "lock", "delay"} <= set(kinds)
    assert all(m == "POST" for m, d in decisions if d is not None and d.kind == "lock")
    assert 40 <= kinds["error"] <= 120  # 20 % of 400
    busy = {d.status for _, d in decisions if d is not None and d.kind == "busy"}
    assert busy == {503, 406}
    assert all(d.after_write is False for m, d in decisions if d is not None and m == "GET")
    for _, d in decisions:
        assert d is not None and 0.005 <= d.delay_s <= 0.015


def test_timeouts_on_writes_split_between_before_and_after_commit() -> None:
    injector = FaultInjector(FaultProfile(timeout_rate=1.0, timeout_after_write_ratio=0.5), seed=1)
    after = [injector.decide("PATCH", "/x").after_write for _ in range(200)]  # type: ignore[union-attr]
    assert 50 < sum(after) < 150
    never = FaultInjector(FaultProfile(timeout_rate=1.0, timeout_after_write_ratio=0.0), seed=1)
    assert not any(never.decide("POST", "/x").after_write for _ in range(50))  # type: ignore[union-attr]


def test_quiet_profile_injects_nothing() -> None:
    injector = FaultInjector(FaultProfile(), seed=3)
    assert all(injector.decide("POST", "/x") is None for _ in range(100))


def test_set_profile_takes_effect_on_the_next_request() -> None:
    injector = FaultInjector(FaultProfile(), seed=3)
    assert injector.decide("GET", "/x") is None
    injector.set_profile(FaultProfile(error_rate=1.0))
    fault = injector.decide("GET", "/x")
    assert fault is not None and fault.kind == "error" and fault.status == 500
    assert fault.message == MESSAGES["error"]


def test_skip_cost_grows_with_n_in_raw_and_encoded_queries() -> None:
    injector = FaultInjector(FaultProfile(skip_cost_us=10), seed=0)
    assert injector.skip_delay("$top=10&$skip=1000") == pytest.approx(0.01)
    assert injector.skip_delay("%24top=10&%24skip=5000") == pytest.approx(0.05)
    assert injector.skip_delay("$top=10") == 0
    assert injector.skip_delay("$skip=abc") == 0


def test_error_bodies_have_1c_shapes() -> None:
    ctype, body = error_body("odata", 'Конфликт <блокировок> & "ошибка"')
    assert ctype.startswith(b"application/json")
    assert "Конфликт" in body.decode("utf-8")
    soap_type, soap = error_body("soap", "a < b & c")
    assert soap_type.startswith(b"text/xml")
    assert b"<faultstring>a &lt; b &amp; c</faultstring>" in soap
