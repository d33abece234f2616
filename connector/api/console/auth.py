"""Signing in to the console and out of it. Tokens travel only in POST bodies, never in URLs."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from connector.api.console import session as sessions
from connector.api.console.views import form_of, lang_of, render, runtime_of

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "onec_bridge_login_csrf"


def _safe_next(value: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if value and value.startswith("/ui/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/ui/"


def _login_page(request: Request, next_: str, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    heading = "Вход в консоль" if lang_of(request) == "ru" else "Sign in to the console"
    response = render(
        request,
        "login.html",
        session=None,
        heading=heading,
        csrf=token,
        next=next_,
        error=error,
        status=status,
    )
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", max_age=3600, path="/ui")
    return response


@router.get("/ui/login")
def login_form(request: Request) -> Response:
    return _login_page(request, _safe_next(request.query_params.get("next")))


@router.post("/ui/login")
async def login(request: Request) -> Response:
    form = await form_of(request)
    next_ = _safe_next(form.get("next"))
    lang = lang_of(request)
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(expected.encode(), form.get("csrf", "").encode()):
        text = (
            "Форма входа устарела — попробуйте ещё раз."
            if lang == "ru"
            else "The sign-in form expired — try again."
        )
        return _login_page(request, next_, text, 403)
    settings = runtime_of(request).settings
    role = sessions.role_for(settings, form.get("token", ""))
    if role is None:
        text = "Неверный токен." if lang == "ru" else "Wrong token."
        return _login_page(request, next_, text, 401)
    value, _ = sessions.issue(settings, role)
    target = next_ if role == "operator" or not next_.rstrip("/").endswith("/ui") else "/ui/plan-fact"
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(
        sessions.COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=sessions.MAX_AGE,
        path="/ui",
    )
    response.delete_cookie(LOGIN_CSRF, path="/ui")
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    form = await form_of(request)
    found = sessions.read(runtime_of(request).settings, request.cookies.get(sessions.COOKIE))
    if found is not None and not sessions.csrf_ok(found, form.get("csrf")):
        return render(request, "base.html", session=found, heading="CSRF", status=403)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/ui")
    return response
