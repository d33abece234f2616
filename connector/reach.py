"""Can the connector reach 1C and the tracker? One plain request each, said in words.

The command line asks before a cycle, so that an unreachable system or a wrong password is one
line naming the setting that fixes it (and exit code 3 or 2), not a failure repeated for every
mapping after minutes of retries. Texts quoting URLs are made readable here too: percent-encoding
decoded, query strings (which may carry keys) cut off.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests
from requests.auth import HTTPBasicAuth

from connector.settings import Settings

UNREACHABLE = 3
BAD_SETTINGS = 2
PROBE_TIMEOUT = 10.0
_URL = re.compile(r"https?://[^\s\[\]\"'<>]+")


@dataclass(frozen=True)
class Problem:
    """Why a system cannot be used: ``line()`` is what a person reads; ``detail`` is for ``-v``."""

    system: str
    where: str
    what: str
    fix: str
    exit_code: int
    detail: str = ""

    def line(self) -> str:
        return f"{self.system} {self.where}: {self.what} — {self.fix}"


def readable_url(url: str) -> str:
    """``http://h/crm/odata/standard.odata/Catalog_%D0%97…?$filter=…`` →
    ``http://h/crm — Catalog_З…``: decoded, host and base path, then the entity set; no query."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    base, marker, rest = path.partition("/odata/standard.odata")
    head = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    if marker:
        entity = rest.strip("/").split("/")[0].split("(")[0]
        return f"{head}{base.rstrip('/')}" + (f" — {entity}" if entity else "")
    return f"{head}{path.rstrip('/')}"


def readable(text: str) -> str:
    """Every URL in ``text`` made readable (see :func:`readable_url`); repeats of one URL in the
    same text (an error quoting its request twice) are said once."""
    seen: set[str] = set()

    def one(match: re.Match[str]) -> str:
        short = readable_url(match.group(0))
        if short in seen:
            return "…"
        seen.add(short)
        return short

    return re.sub(r"\s*\[…\]", "", _URL.sub(one, text))


def what_failed(exc: requests.RequestException, timeout: float) -> str:
    """A request's failure in words: connection refused, host not found, timeout after N s…"""
    if isinstance(exc, requests.Timeout):
        return f"timeout after {timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed (certificate?)"
    text = str(exc)
    if isinstance(exc, requests.ConnectionError):
        if "Name or service not known" in text or "NameResolutionError" in text or "getaddrinfo" in text:
            return "host not found"
        if "refused" in text.lower() or f"[Errno {errno.ECONNREFUSED}]" in text:
            return "connection refused"
        if "reset" in text.lower():
            return "connection reset"
        return "cannot connect"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return "not a valid URL"
    return type(exc).__name__


def _status_problem(status: int, credentials: str, url_setting: str) -> tuple[str, str, int] | None:
    if status in (401, 403):
        word = "wrong user or password" if status == 401 else "access denied to this user"
        return f"{status}: {word}", f"check {credentials}", BAD_SETTINGS
    if status == 404:
        return "404: nothing published at this address", f"check {url_setting}", BAD_SETTINGS
    if status >= 500 or status == 429:
        return f"{status}: the server failed or is busy", "try again later or see its log", UNREACHABLE
    if status >= 400:
        return f"{status}: the request was refused", f"check {url_setting}", BAD_SETTINGS
    return None


def check_onec(settings: Settings, timeout: float = PROBE_TIMEOUT) -> Problem | None:
    """One GET of the base's OData service document; None when 1C answers it."""
    url = f"{settings.onec_url}/odata/standard.odata/"
    where = readable_url(url)
    auth = HTTPBasicAuth(
        settings.onec_user.encode("utf-8"), settings.onec_password.get_secret_value().encode("utf-8")
    )
    try:
        resp = requests.get(url, auth=auth, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        return Problem(
            "1C", where, what_failed(exc, timeout), "check ONEC_BRIDGE_ONEC_URL", UNREACHABLE, f"GET {url}"
        )
    found = _status_problem(
        resp.status_code, "ONEC_BRIDGE_ONEC_USER / ONEC_BRIDGE_ONEC_PASSWORD", "ONEC_BRIDGE_ONEC_URL"
    )
    if found:
        return Problem("1C", where, found[0], found[1], found[2], f"GET {url} → {resp.status_code}")
    return None


def _tracker_request(settings: Settings) -> tuple[str, dict[str, str], dict[str, str], str]:
    """The kind's cheapest authenticated GET: (url, params, headers, credentials setting)."""
    key = settings.tracker_api_key.get_secret_value()
    base = settings.tracker_url
    if settings.tracker_kind == "kimai":
        if settings.tracker_kimai_auth == "x-auth":
            headers = {"X-AUTH-USER": settings.tracker_kimai_user, "X-AUTH-TOKEN": key}
            return (
                f"{base}/users/me",
                {},
                headers,
                "ONEC_BRIDGE_TRACKER_KIMAI_USER / ONEC_BRIDGE_TRACKER_API_KEY",
            )
        return f"{base}/users/me", {}, {"Authorization": f"Bearer {key}"}, "ONEC_BRIDGE_TRACKER_API_KEY"
    if settings.tracker_kind == "clockify":
        return f"{base}/workspaces", {}, {"X-Api-Key": key}, "ONEC_BRIDGE_TRACKER_API_KEY"
    return f"{base}/employees", {"apikey": key, "active": "true"}, {}, "ONEC_BRIDGE_TRACKER_API_KEY"


def check_tracker(settings: Settings, timeout: float = PROBE_TIMEOUT) -> Problem | None:
    """One authenticated GET of the configured tracker (Bitcop: its employee list; Kimai: the
    token's user; Clockify: the key's workspaces, which must hold the configured one); None
    when the tracker answers it."""
    from connector.settings import tracker_setting_problems

    url, params, headers, credentials = _tracker_request(settings)
    where = readable_url(url)
    if not settings.tracker_api_key.get_secret_value():
        return Problem("the tracker", where, "no API key", "set ONEC_BRIDGE_TRACKER_API_KEY", BAD_SETTINGS)
    for problem in tracker_setting_problems(settings):
        return Problem("the tracker", where, "incomplete settings", problem, BAD_SETTINGS)
    try:
        resp = requests.get(url, params=params, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        what = what_failed(exc, timeout)
        return Problem("the tracker", where, what, "check ONEC_BRIDGE_TRACKER_URL", UNREACHABLE, f"GET {url}")
    found = _status_problem(resp.status_code, credentials, "ONEC_BRIDGE_TRACKER_URL")
    if found:
        what = found[0].replace("wrong user or password", "wrong API key or token")
        return Problem("the tracker", where, what, found[1], found[2], f"GET {url} → {resp.status_code}")
    if settings.tracker_kind == "clockify":
        return _clockify_workspace(settings, resp, where)
    return None


def _clockify_workspace(settings: Settings, resp: requests.Response, where: str) -> Problem | None:
    """The configured workspace must be one of the key's workspaces."""
    wanted = settings.tracker_clockify_workspace.strip()
    try:
        ids = {str(w.get("id")) for w in resp.json() if isinstance(w, dict)}
    except (ValueError, TypeError, AttributeError):
        return Problem(
            "the tracker",
            where,
            "the answer is not Clockify's workspace list",
            "check ONEC_BRIDGE_TRACKER_URL",
            BAD_SETTINGS,
        )
    if wanted not in ids:
        return Problem(
            "the tracker",
            where,
            f"no workspace {wanted!r} for this API key",
            "check ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE (the key sees: "
            + (", ".join(sorted(ids)[:5]) or "no workspace")
            + ")",
            BAD_SETTINGS,
        )
    return None


_UNREACHABLE_WORDS = re.compile(
    r"connection error|connection refused|timed out|timeout|name or service not known|"
    r"max retries exceeded|unavailable|HTTP 50[234]",
    re.IGNORECASE,
)


def sounds_unreachable(error: str) -> bool:
    """Does a run's failure say its system could not be reached (rather than refused one item)?"""
    return bool(_UNREACHABLE_WORDS.search(error))
