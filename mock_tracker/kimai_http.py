"""Kimai's HTTP conventions in the mock: error bodies, strict query parameters, authentication.

Shared by the catalogue routes (``kimai.py``) and the timesheet routes (``kimai_timesheets.py``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from mock_tracker.account import Account
from mock_tracker.config import MockConfig
from mock_tracker.errors import ApiError, ApiReply
from mock_tracker.kimai_json import KimaiJson
from mock_tracker.kimai_store import KimaiStore

_ID = re.compile(r"^\d+$")
T = TypeVar("T")


def error_body(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "message": message}, status_code=status)


def http_error_body(status: int) -> JSONResponse:
    """Routing failures in FOSRest's production form: the status text, nothing else."""
    return error_body(status, HTTPStatus(status).phrase)


def bad_request() -> ApiError:
    return ApiError(400, "Bad Request")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def credential(request: Request) -> str:
    auth = request.headers.get("Authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else request.headers.get("X-AUTH-TOKEN", "")


class Params:
    """Query parameters the way FOSRest's strict ``QueryParam`` reads them: a value that does
    not match its requirement is a 400."""

    def __init__(self, request: Request) -> None:
        self.query = request.query_params

    def get(self, name: str, pattern: str | None = None, default: str | None = None) -> str | None:
        value = self.query.get(name)
        if value is None:
            return default
        if pattern is not None and not re.fullmatch(pattern, value):
            raise bad_request()
        return value

    def array(self, plural: str) -> list[int]:
        """``plural[]=1&plural[]=2`` (PHP arrays, also ``plural[0]=1``) as ids."""
        values = [v for key, v in self.query.multi_items() if re.fullmatch(rf"{plural}\[\d*\]", key)]
        if any(not _ID.match(v) for v in values):
            raise bad_request()
        return [int(v) for v in values]

    def ids(self, name: str, plural: str | None = None) -> list[int]:
        """The singular filter (``project=3``) and its array (``projects[]=4``) together."""
        single = self.get(name, r"\d+")
        return self.array(plural or f"{name}s") + ([int(single)] if single is not None else [])


class KimaiContext:
    """What every Kimai handler needs: the account, its Kimai objects, rendering and auth."""

    def __init__(self, account: Account, config: MockConfig) -> None:
        self.account = account
        self.config = config
        self.store = KimaiStore.from_dict(account.extend("kimai", lambda: self.store.to_dict()))
        first, _, _ = config.kimai_user.partition(" ")
        self.api_user = account.ensure_api_user(config.api_user_email, first or "admin", "")
        version = tuple(int(p) for p in config.kimai_version.split("."))
        self.json = KimaiJson(
            self.store,
            config.tz,
            emails=version >= (2, 45),
            api_user=self.api_user.id,
            username=config.kimai_user,
        )
        account.task_sync = self.store.refresh

    def authenticate(self, request: Request) -> None:
        mode, headers, key = self.config.kimai_auth, request.headers, self.config.api_key.encode()
        auth = headers.get("Authorization", "")
        if mode in ("bearer", "both") and auth.startswith("Bearer "):
            if not hmac.compare_digest(auth[7:].encode(), key):
                challenge = 'Bearer error="invalid_token",error_description="Invalid credentials."'
                raise ApiReply(Response(status_code=401, headers={"WWW-Authenticate": challenge}))
            return
        if mode in ("x-auth", "both") and "X-AUTH-USER" in headers and "X-AUTH-TOKEN" in headers:
            user, token = headers["X-AUTH-USER"], headers["X-AUTH-TOKEN"]
            message = None
            if not user:
                message = "Authentication required, missing user header: X-AUTH-USER"
            elif not token:
                message = "Authentication required, missing token header: X-AUTH-TOKEN"
            elif user not in (self.config.kimai_user, self.api_user.email) or not hmac.compare_digest(
                token.encode(), key
            ):
                message = "Invalid credentials"
            if message is not None:
                raise ApiReply(JSONResponse({"message": message}, status_code=403))
            return
        raise ApiError(401, "Unauthorized")

    def created(self, kind: str) -> None:
        self.account.created[kind] += 1

    def account_today(self) -> str:
        """Now in the account's zone, as Kimai's date-time parameters are written."""
        return datetime.now(self.config.tz).strftime("%Y-%m-%dT%H:%M:%S")


async def read_body(request: Request) -> Any:
    """The JSON body (Kimai decodes JSON into its forms); anything else is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return await request.json()
    except ValueError:
        raise bad_request() from None


def lookup(table: dict[int, T], raw_id: str) -> T:
    """An entity by path id; ids that are not digits do not match Kimai's route → 404."""
    if not _ID.match(raw_id) or int(raw_id) not in table:
        raise not_found()
    return table[int(raw_id)]


def ordered(items: Iterable[T], key: Callable[[T], Any], descending: bool) -> list[T]:
    return sorted(items, key=key, reverse=descending)


def matches(term: str | None, *values: str | None) -> bool:
    if not term:
        return True
    wanted = term.lower()
    return any(v is not None and wanted in v.lower() for v in values)
