"""Settings of the connector: environment variables ``ONEC_BRIDGE_*`` and an optional ``.env``.

Secrets are ``SecretStr`` so they never print. ``check_safe_to_serve`` refuses unsafe
production defaults (empty tokens on a non-loopback bind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEC_BRIDGE_", env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///onec_bridge.db", description="SQLAlchemy URL of the store")

    onec_url: str = Field(default="http://127.0.0.1:8801/crm", description="1C infobase URL (without /odata)")
    onec_user: str = "Интегратор"
    onec_password: SecretStr = SecretStr("")
    onec_timezone: str = Field(
        default="Europe/Moscow", description="time zone of the 1C base's naive datetimes"
    )
    onec_page_size: int = Field(default=1000, ge=1, le=100_000)
    onec_max_concurrency: int = Field(default=2, ge=1, le=64)
    onec_rate_limit: float = Field(default=50.0, gt=0, description="max requests per second to 1C")
    onec_timeout: float = Field(default=30.0, gt=0)
    onec_deadline: float = Field(default=120.0, gt=0, description="overall retry deadline per call, s")
    onec_exchange_node: str = Field(default="", description="code of the exchange-plan node (change feed)")

    timezone: str = Field(default="Europe/Moscow", description="the company's day boundary for labour")
    mappings_dir: Path = Path("mappings")

    tracker_kind: Literal["bitcop", "kimai", "clockify"] = "bitcop"
    tracker_url: str = Field(
        default="http://127.0.0.1:8802/api/v1",
        description="the tracker's API base: Bitcop …/api/v1, Kimai …/api, Clockify …/api/v1",
    )
    tracker_api_key: SecretStr = Field(
        default=SecretStr(""), description="Bitcop apikey, Kimai API token, Clockify X-Api-Key"
    )
    tracker_feed_token: SecretStr = SecretStr("")
    tracker_rate_limit: float = Field(
        default=5.0, gt=0, le=1000, description="max requests per second to the tracker"
    )
    tracker_timeout: float = Field(default=30.0, gt=0, le=600, description="one tracker request, s")
    tracker_push_interval: float = Field(
        default=60.0, gt=0, le=86_400, description="task push to a Kimai/Clockify tracker, s"
    )
    # Kimai: Bearer token (current versions) or the X-AUTH-USER/X-AUTH-TOKEN pair (up to 2.13).
    tracker_kimai_auth: Literal["bearer", "x-auth"] = "bearer"
    tracker_kimai_user: str = Field(default="", description="X-AUTH-USER when tracker_kimai_auth=x-auth")
    # Clockify: the workspace, the reports host, and what a Clockify project stands for.
    tracker_clockify_workspace: str = Field(default="", description="Clockify workspace id")
    tracker_clockify_reports_url: str = Field(
        default="", description="Clockify reports API base (default: derived from tracker_url)"
    )
    tracker_clockify_project_by: Literal["customer", "project"] = Field(
        default="project",
        description="one Clockify project per 1C project/interest (project) or per 1C customer",
    )

    webhook_secret: SecretStr = SecretStr("")
    admin_token: SecretStr = SecretStr("")
    viewer_token: SecretStr = Field(
        default=SecretStr(""), description="the web console's read-only sign-in (reports only)"
    )

    labour_lookback_days: int = Field(default=14, ge=1, le=366)
    labour_reconcile_days: int = Field(
        default=62, ge=1, le=732, description="the nightly reconciliation's labour window, days"
    )
    closed_period_policy: Literal["park", "adjust"] = "park"
    log_format: Literal["auto", "json", "console"] = "auto"

    # Built-in jobs of ``serve`` (per-mapping inbound schedules come from the mapping files).
    inbox_interval: float = Field(default=2.0, gt=0, le=3600, description="webhook/resync queue poll, s")
    deliver_interval: float = Field(default=5.0, gt=0, le=3600, description="labour outbox delivery, s")
    labour_interval: float = Field(default=600.0, gt=0, le=86_400, description="labour tick, s")
    reconcile_cron: str = Field(default="30 3 * * *", description="full re-read of every mapping (crontab)")
    run_stale_after: float = Field(
        default=3600.0,
        ge=60,
        le=7 * 86_400,
        description="a run with no progress for this long (s) is closed as abandoned; "
        "a run whose process on this host is gone is closed at once",
    )

    # Money in the per-employee output report: billable hours x rate (per work type, else default).
    default_hourly_rate: float | None = Field(default=None, ge=0)
    hourly_rates: dict[str, float] = Field(default_factory=dict, description="work type ref -> rate")

    # Employees working in another zone than the company's: e-mail or 1C employee GUID -> zone.
    employee_timezones: dict[str, str] = Field(default_factory=dict)
    soap_batch_size: int = Field(default=200, ge=1, le=10_000, description="rows per PutLabour call")
    # Estimates from history: no suggestion from fewer finished samples than this.
    estimate_min_samples: int = Field(default=5, ge=1, le=1000, description="samples for a suggestion")

    @field_validator("onec_timezone", "timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone_name(value)

    @field_validator("employee_timezones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        return {who.strip().lower(): _zone_name(zone) for who, zone in value.items()}

    @field_validator("reconcile_cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a crontab expression; example: 30 3 * * *") from exc
        return value

    @field_validator("hourly_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if v < 0]
        if bad:
            raise ValueError(f"negative hourly rate for {', '.join(bad)}; rates must be >= 0")
        return value

    @field_validator("tracker_clockify_reports_url")
    @classmethod
    def _optional_http_url(cls, value: str) -> str:
        return cls._http_url(value) if value else value

    @field_validator("onec_url", "tracker_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL; example: http://127.0.0.1:8801/crm")
        return value.rstrip("/")


def tracker_setting_problems(settings: Settings) -> list[str]:
    """What is missing for the configured tracker kind, one line per setting (empty: fine)."""
    problems = []
    kind = settings.tracker_kind
    if kind == "kimai" and settings.tracker_kimai_auth == "x-auth" and not settings.tracker_kimai_user:
        problems.append(
            "ONEC_BRIDGE_TRACKER_KIMAI_USER is empty while ONEC_BRIDGE_TRACKER_KIMAI_AUTH=x-auth: "
            "set the Kimai user name, or use the bearer API token"
        )
    if kind == "clockify" and not settings.tracker_clockify_workspace.strip():
        problems.append(
            "ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE is empty: set the Clockify workspace id "
            "(Workspace settings → the id in the page's address)"
        )
    return problems


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Moscow") from exc
    return value


class UnsafeSettings(ValueError):
    """Settings that must not be used for serving beyond loopback."""


def check_safe_to_serve(settings: Settings, host: str) -> None:
    """Refuse empty admin/webhook/feed secrets when listening beyond loopback."""
    if host in LOOPBACK_HOSTS:
        return
    for name in ("admin_token", "webhook_secret", "tracker_feed_token"):
        secret: SecretStr = getattr(settings, name)
        if not secret.get_secret_value():
            raise UnsafeSettings(
                f"ONEC_BRIDGE_{name.upper()} is empty while serving on {host}: "
                "set it to a long random value, or bind to 127.0.0.1"
            )
    if settings.admin_token.get_secret_value() == settings.tracker_feed_token.get_secret_value():
        raise UnsafeSettings(
            "ONEC_BRIDGE_ADMIN_TOKEN and ONEC_BRIDGE_TRACKER_FEED_TOKEN are equal: use distinct tokens"
        )
    if settings.viewer_token.get_secret_value() == settings.admin_token.get_secret_value():
        if settings.viewer_token.get_secret_value():
            raise UnsafeSettings(
                "ONEC_BRIDGE_VIEWER_TOKEN equals ONEC_BRIDGE_ADMIN_TOKEN: a viewer would sign in as operator"
            )
