import pytest
from pydantic import SecretStr, ValidationError

from connector.settings import Settings, UnsafeSettings, check_safe_to_serve


def test_unknown_time_zone_is_refused_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEC_BRIDGE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert "Europe/Moscow" in str(err.value)


def test_secrets_do_not_print() -> None:
    s = Settings(_env_file=None, onec_password=SecretStr("s3cret"))  # type: ignore[call-arg]
    assert "s3cret" not in repr(s)


def test_empty_tokens_refused_beyond_loopback_but_fine_on_loopback() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    check_safe_to_serve(s, "127.0.0.1")
    with pytest.raises(UnsafeSettings, match="ONEC_BRIDGE_ADMIN_TOKEN"):
        check_safe_to_serve(s, "0.0.0.0")
