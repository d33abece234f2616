"""``/_mock`` endpoints (outside 1C's URL space): statistics, data changes as a 1C user, faults.

Data changes go through the same InfoBase as OData, so they fire the same hooks (change
registration, webhooks, business rules) as a user working in 1C.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from mock_1c.errors import OneCError, unknown_set
from mock_1c.kit import KitPieces
from mock_1c.odata.values import check_values, parse_body
from mock_1c.schema import ENTITY_SETS, UNDEFINED_TYPE
from mock_1c.seed import stable_ref

if TYPE_CHECKING:
    from mock_1c.app import MockState


def _error(err: OneCError) -> JSONResponse:
    return JSONResponse({"error": {"code": err.code, "message": err.message}}, status_code=err.status)


def router(state: MockState) -> APIRouter:
    r = APIRouter(prefix="/_mock")
    ib = state.ib

    @r.get("/stats")
    def stats() -> dict[str, Any]:
        return state.stats.snapshot()

    @r.post("/reset-stats")
    def reset_stats() -> dict[str, Any]:
        state.stats.reset()
        return {"ok": True}

    @r.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "infobase": state.config.infobase, "sessions": state.sessions.count()}

    def object_set(name: str) -> Any:
        es = ENTITY_SETS.get(name)
        if es is None or not es.is_object:
            raise unknown_set(name)
        return es

    @r.post("/objects/{entity_set}")
    async def create_object(entity_set: str, request: Request) -> Response:
        raw = await request.body()
        try:
            es = object_set(entity_set)
            values = check_values(es, parse_body(raw), creating=True)
            entity = await run_in_threadpool(ib.create, es.name, values)
        except OneCError as err:
            return _error(err)
        return JSONResponse(entity, status_code=201)

    @r.patch("/objects/{entity_set}/{ref}")
    async def update_object(entity_set: str, ref: str, request: Request) -> Response:
        raw = await request.body()
        try:
            es = object_set(entity_set)
            values = check_values(es, parse_body(raw), creating=False)
            entity = await run_in_threadpool(ib.update, es.name, ref, values, None)
        except OneCError as err:
            return _error(err)
        return JSONResponse(entity)

    @r.delete("/objects/{entity_set}/{ref}")
    async def delete_object(entity_set: str, ref: str) -> Response:
        try:
            es = object_set(entity_set)
            await run_in_threadpool(ib.delete, es.name, ref, None)
        except OneCError as err:
            return _error(err)
        return Response(status_code=204)

    @r.post("/emails")
    async def incoming_email(request: Request) -> Response:
        """An e-mail arrives: 1C:CRM registers it and opens a new service interest from it."""
        raw = await request.body()
        try:
            body = parse_body(raw)
            mail, interest = await run_in_threadpool(_register_email, state, body)
        except OneCError as err:
            return _error(err)
        return JSONResponse({**interest, "email": mail}, status_code=201)

    @r.get("/webhooks")
    def webhooks() -> Response:
        if state.dispatcher is None:
            return JSONResponse({"configured": False, "deliveries": []})
        return JSONResponse({"configured": True, "deliveries": state.dispatcher.deliveries()})

    @r.get("/faults")
    def get_faults() -> Response:
        if state.injector is None:
            return JSONResponse({"error": "fault injection is not available"}, status_code=501)
        return JSONResponse(state.injector.profile.to_dict())

    @r.post("/faults")
    async def set_faults(request: Request) -> Response:
        if state.injector is None:
            return JSONResponse({"error": "fault injection is not available"}, status_code=501)
        faults = importlib.import_module("mock_1c.faults")
        raw = await request.body()
        try:
            if request.headers.get("content-type", "").startswith("application/json"):
                try:
                    data = parse_body(raw)
                except OneCError as err:
                    return _error(err)
                profile = faults.FaultProfile.from_dict(data)
            else:
                profile = faults.FaultProfile.parse(raw.decode("utf-8", errors="replace"))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        state.injector.set_profile(profile)
        return JSONResponse(profile.to_dict())

    @r.post("/kit")
    async def set_kit(request: Request) -> Response:
        """Which pieces of the 1C-side kit the base lacks from now on (``{"without": [...]}``, as
        ``--without``; an empty list restores the whole kit)."""
        try:
            data = parse_body(await request.body())
        except OneCError as err:
            return _error(err)
        items = data.get("without") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return JSONResponse(
                {"error": 'expected {"without": ["extension", "field:<Set>.<Field>", …]}'}, 400
            )
        try:
            state.set_kit(KitPieces.parse(items))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"without": items})

    return r


def _register_email(state: MockState, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    sender = body.get("from") or body.get("ОтправительАдрес")
    subject = body.get("subject") or body.get("Тема")
    text = body.get("text") or body.get("Текст") or ""
    if not isinstance(sender, str) or "@" not in sender:
        raise OneCError("5", "Не указан адрес отправителя письма (from).")
    if not isinstance(subject, str) or not subject.strip() or not isinstance(text, str):
        raise OneCError("5", "Не указана тема письма (subject).")
    ib = state.ib
    now = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    mail = ib.create(
        "Document_ЭлектронноеПисьмоВходящее",
        {"Date": now, "Тема": subject, "Текст": text, "ОтправительАдрес": sender, "ДатаПолучения": now},
    )
    values: dict[str, Any] = {
        "Date": now,
        "Тема": subject,
        "Содержание": text,
        "ВидИнтереса": "Сервис",
        "Состояние_Key": stable_ref("Catalog_CRM_СостоянияИнтересов", "Новый"),
        "ДокументОснование": mail["Ref_Key"],
        "ДокументОснование_Type": "StandardODATA.Document_ЭлектронноеПисьмоВходящее",
    }
    extra: dict[str, Any] = {k: body[k] for k in ("Партнер_Key", "Ответственный_Key") if k in body}
    values.update(check_values(ENTITY_SETS["Document_CRM_Интерес"], extra, creating=True))
    if values.get("ДокументОснование_Type") is None:
        values["ДокументОснование_Type"] = UNDEFINED_TYPE
    interest = ib.create("Document_CRM_Интерес", values)
    return mail, interest
