"""Dependencies shared by the routes, as ``Annotated`` aliases (``RuntimeDep``, ``SessionDep``…).

Authentication is by Bearer tokens from the settings, compared in constant time. An empty
configured token refuses every request: an unset secret never means "open".
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr
from sqlalchemy.orm import Session

from connector.api.errors import ApiError
from connector.runtime import Runtime

UNAUTHORIZED_MESSAGE = "a valid Bearer token is required"


def get_runtime(request: Request) -> Runtime:
    """The process's :class:`Runtime`, placed on ``app.state`` by ``create_app``."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A session per request: committed when the route returns, rolled back when it raises.

    Routes whose answer promises durability (intake) commit explicitly before answering.
    """
    session = runtime.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


class Unauthorized(ApiError):
    """401 with ``WWW-Authenticate: Bearer`` and no hint about what was wrong."""

    def __init__(self) -> None:
        super().__init__(401, UNAUTHORIZED_MESSAGE, headers={"WWW-Authenticate": "Bearer"})


def bearer_matches(authorization: str | None, expected: SecretStr) -> bool:
    """True only for ``Bearer <expected>`` with a non-empty expected token (constant-time compare)."""
    secret = expected.get_secret_value()
    if not secret or not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode("utf-8"), secret.encode("utf-8"))


def require_feed_token(request: Request, runtime: RuntimeDep) -> None:
    """The tracker's token (``ONEC_BRIDGE_TRACKER_FEED_TOKEN``) for the feed and the time intake."""
    if not bearer_matches(request.headers.get("authorization"), runtime.settings.tracker_feed_token):
        raise Unauthorized()


def require_admin_token(request: Request, runtime: RuntimeDep) -> None:
    """The operator's token (``ONEC_BRIDGE_ADMIN_TOKEN``) for ops endpoints."""
    if not bearer_matches(request.headers.get("authorization"), runtime.settings.admin_token):
        raise Unauthorized()


FeedAuth = Annotated[None, Depends(require_feed_token)]
AdminAuth = Annotated[None, Depends(require_admin_token)]
