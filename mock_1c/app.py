"""The mock 1C server as one ASGI app: 1C's URL space (OData, SOAP) plus ``/_mock`` admin.

``create_app(config)`` builds the seeded (or restored) InfoBase, wires every channel to it and,
when the fault module is present, wraps the app in the fault middleware whose profile also
carries the behaviour switches.
"""

from __future__ import annotations

import importlib
import threading
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from mock_1c.access import Sessions, basic_credentials, credentials_match
from mock_1c.config import MockConfig
from mock_1c.errors import OneCError
from mock_1c.infobase import InfoBase
from mock_1c.kit import KitPieces
from mock_1c.odata import render
from mock_1c.odata.service import LOAD_MODE_HEADER, ODataRequest, ODataService, Switches, split_odata_path
from mock_1c.persist import SqliteStore
from mock_1c.seed import SeedCounts, generate
from mock_1c.soap import LabourService

SOAP_PATH = "ws/TimeTracking.1cws"


class Stats:
    """Request counts by method, entity set and status (the 1C round trips of a test or bench)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: Counter[tuple[str, str, int]] = Counter()
        self._objects: Counter[str] = Counter()

    def add(self, method: str, entity_set: str, status: int) -> None:
        with self._lock:
            self._rows[(method, entity_set, status)] += 1

    def add_objects(self, entity_set: str, n: int) -> None:
        """Objects served in a collection answer (what a client had to read)."""
        with self._lock:
            self._objects[entity_set] += n

    def reset(self) -> None:
        with self._lock:
            self._rows.clear()
            self._objects.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            rows = list(self._rows.items())
            objects = dict(self._objects)
        by: dict[str, Counter[str]] = {
            "by_method": Counter(),
            "by_entity_set": Counter(),
            "by_status": Counter(),
        }
        for (method, entity_set, status), n in rows:
            by["by_method"][method] += n
            by["by_entity_set"][entity_set or "-"] += n
            by["by_status"][str(status)] += n
        return {
            "total": sum(n for _, n in rows),
            **{k: dict(v) for k, v in by.items()},
            "requests": [
                {"method": m, "entity_set": s or "-", "status": st, "count": n} for (m, s, st), n in rows
            ],
            "objects": sum(objects.values()),
            "objects_by_entity_set": objects,
        }


class MockState:
    """Everything the routes share; one per app."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        store = SqliteStore(config.db) if config.db else None
        counts = SeedCounts.for_scale(
            config.scale,
            interests=config.interests,
            projects=config.projects,
            tasks=config.tasks,
            users=config.users,
        )
        data = generate(config.seed, counts) if store is None or store.is_empty() else {}
        self.ib = InfoBase(data, store)
        self.kit = KitPieces.parse(config.without)
        self.stats = Stats()
        self.odata = ODataService(self.ib, self.kit, served=self.stats.add_objects)
        self.sessions = Sessions(config.max_sessions, config.session_timeout)
        self.soap = LabourService(self.ib)
        self.injector: Any = None
        self.dispatcher: Any = None
        if config.webhook_url:
            webhooks = importlib.import_module("mock_1c.webhooks")
            types = set(config.webhook_types) or None
            self.dispatcher = webhooks.WebhookDispatcher(
                config.webhook_url, config.webhook_secret, config.webhook_mode, types
            )
            self.ib.subscribe(self.dispatcher.notify)

    def set_kit(self, kit: KitPieces) -> None:
        """Change which kit pieces the base has (the admin endpoint ``POST /_mock/kit``)."""
        self.kit = kit
        self.odata.kit = kit

    def switches(self) -> Switches:
        """Switches the fault middleware does not apply itself (it rewrites ``+``, drops
        If-Match, charges ``$skip`` and turns 401 into an HTML page before/after the app)."""
        p = getattr(self.injector, "profile", None)
        return Switches(
            inlinecount_ignores_paging=bool(getattr(p, "inlinecount_ignores_paging", False)),
            load_mode_ignores_closing_date=bool(getattr(p, "load_mode_ignores_closing_date", False)),
        )


def _wants_json(request: Request) -> bool:
    q = request.url.query.lower()
    return "json" in q or "application/json" in request.headers.get("accept", "").lower()


def _access_error(state: MockState, err: OneCError, request: Request) -> Response:
    response = render.error_response(err, "json" if _wants_json(request) else "atom")
    if err.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="1C:Enterprise"'
    return response


def _check_access(state: MockState, request: Request) -> tuple[str | None, bool]:
    """(session id to set as cookie, whether to finish the session); raises OneCError."""
    cfg = state.config
    mode = request.headers.get("IBSession", "").strip().lower()
    cookie = request.cookies.get("ibsession")
    session_ok = False
    if cookie:
        if not state.sessions.is_open(cookie):
            raise OneCError("-1", "Сеанс не найден или завершен. Начните новый сеанс.", 400)
        session_ok = True
    if not session_ok and not credentials_match(
        basic_credentials(request.headers.get("authorization")), cfg.user, cfg.password
    ):
        raise OneCError("20", "Ошибка аутентификации: неверное имя пользователя или пароль.", 401)
    if mode == "start" and not session_ok:
        sid = state.sessions.start()
        if sid is None:
            raise OneCError("-1", "Нет свободных лицензий или сеансов: превышено число сеансов.", 406)
        return sid, False
    return None, mode == "finish" and session_ok


def create_app(config: MockConfig) -> Any:
    """The ASGI app of one mock 1C server (FastAPI, possibly wrapped by the fault middleware)."""
    state = MockState(config)
    app = FastAPI(title="mock 1C:CRM", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.mock = state
    ib_prefix = f"/{config.infobase}/"

    from mock_1c import admin

    app.include_router(admin.router(state))

    @app.on_event("startup")
    def start_webhooks() -> None:
        if state.dispatcher is not None:
            state.dispatcher.start()

    @app.on_event("shutdown")
    def stop_webhooks() -> None:
        if state.dispatcher is not None:
            state.dispatcher.stop()

    @app.api_route("/{full_path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE", "MERGE"])
    async def onec(request: Request, full_path: str) -> Response:
        path = request.scope["path"]
        rest = split_odata_path(path, config.infobase)
        is_soap = path == ib_prefix + SOAP_PATH and state.kit.web_service
        if rest is None and not is_soap:
            return JSONResponse({"error": f"not found: {path}"}, status_code=404)
        try:
            sid, finish = _check_access(state, request)
        except OneCError as err:
            response = _access_error(state, err, request)
            state.stats.add(request.method, "-", response.status_code)
            return response
        body = await request.body()
        if is_soap:
            response, label = await run_in_threadpool(
                state.soap.handle, request.method, str(request.url), dict(request.headers), body
            )
        else:
            req = ODataRequest(
                method=request.method,
                path=rest or "",
                raw_query=request.scope.get("query_string", b""),
                base=f"{str(request.base_url).rstrip('/')}/{config.infobase}/odata/standard.odata/",
                accept=request.headers.get("accept", ""),
                if_match=request.headers.get("if-match"),
                load_mode=request.headers.get(LOAD_MODE_HEADER),
                body=body,
                switches=state.switches(),
            )
            response, label = await run_in_threadpool(state.odata.handle, req)
        if sid:
            response.set_cookie("ibsession", sid, httponly=True)
        if finish:
            state.sessions.finish(request.cookies.get("ibsession", ""))
        state.stats.add(request.method, label, response.status_code)
        return response

    return _wrap_faults(app, state)


def _wrap_faults(app: FastAPI, state: MockState) -> Any:
    try:
        faults = importlib.import_module("mock_1c.faults")
    except ImportError:
        return app
    profile = faults.FaultProfile.parse(state.config.faults or "")
    state.injector = faults.FaultInjector(profile, state.config.fault_seed)
    prefix = f"/{state.config.infobase}/"

    def classify(path: str) -> str | None:
        if path.startswith(prefix + "odata/"):
            return "odata"
        if path.startswith(prefix + "ws/"):
            return "soap"
        return None

    wrapped = faults.FaultMiddleware(app, state.injector, classify)
    wrapped.state = app.state
    return wrapped
