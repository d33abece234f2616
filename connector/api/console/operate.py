"""The operators' pages: overview, runs, failures (retry one, retry all parked), unmatched
employees, links, mappings (with an online check) and resync. Viewers get 403 here."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, or_, select

from connector.api.console import session as sessions
from connector.api.console.locale import Lang, word
from connector.api.console.views import (
    Cell,
    Col,
    Filter,
    Row,
    cols,
    guard,
    lang_of,
    posted,
    render,
    runtime_of,
)
from connector.api.errors import ApiError
from connector.api.ops import (
    failures as list_failures,
)
from connector.api.ops import (
    probe_onec,
    probe_store,
    probe_tracker,
    retry_failure,
    run_detail,
    runs,
    unmatched_employees,
)
from connector.mapping import MappingError
from connector.mapping.validate import load_loaded
from connector.onec.query import guid
from connector.store.models import InboxEvent, Link, OutboxIntent
from connector.store.types import utcnow
from connector.sync.inbound.inbox import enqueue_resync

router = APIRouter(include_in_schema=False)


@router.get("/ui/")
def overview(request: Request) -> Response:
    who = guard(request)
    if isinstance(who, Response):
        return who
    if not who.operator:
        return RedirectResponse("/ui/plan-fact", status_code=303)
    lang = lang_of(request)
    rt = runtime_of(request)
    checks = [("store", probe_store(rt)), ("onec", probe_onec(rt)), ("tracker", probe_tracker(rt))]
    with rt.sessions() as s:
        recent = runs(None, s, limit=10, kind=None, mapping=None)["items"]
        failing = list_failures(None, s, parked=None, limit=1000)["items"]
        now = utcnow()
        depth = s.execute(
            select(func.count())
            .select_from(OutboxIntent)
            .where(OutboxIntent.state.in_(("pending", "claimed")))
        ).scalar_one()
        oldest = s.execute(
            select(func.min(OutboxIntent.created_at)).where(OutboxIntent.state.in_(("pending", "claimed")))
        ).scalar_one()
        first = s.execute(
            select(func.min(InboxEvent.received_at)).where(InboxEvent.state.in_(("pending", "claimed")))
        ).scalar_one()
    unmatched = unmatched_employees(None, rt)["items"]
    parked = sum(1 for f in failing if f["parked"])
    return render(
        request,
        "overview.html",
        session=who,
        heading=word("overview", lang),
        current="overview",
        checks=checks,
        runs=[
            {
                "id": r["id"],
                "kind": r["kind"],
                "mapping": r["mapping"],
                "status": r["status"],
                "started": (r["started_at"] or "")[:19].replace("T", " "),
                "finished": (r["finished_at"] or "")[:19].replace("T", " "),
            }
            for r in recent
        ],
        counts=[
            ("failures", len(failing) - parked, "/ui/failures"),
            ("parked", parked, "/ui/failures"),
            ("unmatched", len(unmatched), "/ui/unmatched"),
        ],
        queue={
            "outbox_depth": depth,
            "outbox_age": round((now - oldest).total_seconds()) if oldest else None,
            "webhook_lag": round((now - first).total_seconds()) if first else None,
        },
    )


@router.get("/ui/runs")
def runs_page(request: Request) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    with runtime_of(request).sessions() as s:
        items = runs(None, s, limit=100, kind=None, mapping=None)["items"]
    rows = [
        Row(
            [
                Cell(str(r["id"]), f"/ui/runs/{r['id']}?lang={lang}"),
                Cell(f"{r['kind']}{' · ' + r['mapping'] if r['mapping'] else ''}"),
                Cell(r["status"]),
                Cell((r["started_at"] or "")[:19].replace("T", " ")),
                Cell(", ".join(f"{k} {v}" for k, v in list(r["counters"].items())[:6])),
            ],
            "bad" if r["status"] in ("failed", "abandoned") else "",
        )
        for r in items
    ]
    return render(
        request,
        "table.html",
        session=who,
        heading=word("runs", lang),
        current="runs",
        columns=[
            Col("#"),
            Col(word("kind", lang)),
            Col(word("status", lang)),
            Col(word("started", lang)),
            Col(word("counters", lang)),
        ],
        rows=rows,
    )


@router.get("/ui/runs/{run_id}")
def run_page(request: Request, run_id: int) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    try:
        with runtime_of(request).sessions() as s:
            run = run_detail(run_id, None, s, limit=500)
    except ApiError as exc:
        return render(request, "base.html", session=who, heading=exc.message, status=404)
    rows = [
        Row(
            [Cell(i["ref"] or ""), Cell(i["outcome"] or ""), Cell(i["reason"] or ""), Cell(i["detail"] or "")]
        )
        for i in run["items"]
    ]
    counters = ", ".join(f"{k}: {v}" for k, v in run["counters"].items())
    return render(
        request,
        "table.html",
        session=who,
        heading=f"{word('runs', lang)} #{run_id}: {run['kind']} · {run['status']}",
        current="runs",
        message=counters or None,
        columns=[Col("ref"), Col(word("outcome", lang)), Col(word("reason", lang)), Col(word("items", lang))],
        rows=rows,
    )


def _failures_page(request: Request, who: sessions.ConsoleSession, message: str | None = None) -> Response:
    lang = lang_of(request)
    with runtime_of(request).sessions() as s:
        items = list_failures(None, s, parked=None, limit=1000)["items"]
    rows = [
        Row(
            [
                Cell(f["id"]),
                Cell(f["kind"]),
                Cell(f["key"]),
                Cell(f["reason"] or ""),
                Cell(str(f["attempts"])),
                Cell(word("parked", lang) if f["parked"] else ""),
            ],
            "bad" if f["parked"] else "",
        )
        for f in items
    ]
    return render(
        request,
        "failures.html",
        session=who,
        heading=word("failures", lang),
        current="failures",
        message=message,
        columns=[
            Col("id"),
            Col(word("kind", lang)),
            Col("key"),
            Col(word("reason", lang)),
            Col(word("attempts", lang), True),
            Col(word("parked", lang)),
        ],
        rows=rows,
        retry_forms=[{"id": f["id"], "key": f["key"]} for f in items if f["parked"]],
        any_parked=any(f["parked"] for f in items),
    )


@router.get("/ui/failures")
def failures_page(request: Request) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    return _failures_page(request, who)


@router.post("/ui/failures/{failure_id}/retry")
async def retry_one(request: Request, failure_id: str) -> Response:
    answer = await posted(request)
    if isinstance(answer, Response):
        return answer
    who, form = answer
    lang = lang_of(request)
    try:
        with runtime_of(request).sessions.begin() as s:
            retry_failure(s, failure_id)
    except ApiError as exc:
        return _failures_page(request, who, exc.message)
    done = f"{failure_id}: поставлено на повтор" if lang == "ru" else f"{failure_id}: queued for a retry"
    return _failures_page(request, who, done)


@router.post("/ui/failures/retry-parked")
async def retry_parked(request: Request) -> Response:
    answer = await posted(request)
    if isinstance(answer, Response):
        return answer
    who, form = answer
    lang = lang_of(request)
    if form.get("confirm") != "yes":
        text = (
            "Подтвердите повтор всех отложенных." if lang == "ru" else "Confirm retrying every parked item."
        )
        return _failures_page(request, who, text)
    with runtime_of(request).sessions.begin() as s:
        parked = [f["id"] for f in list_failures(None, s, parked=True, limit=1000)["items"]]
        for failure_id in parked:
            try:
                retry_failure(s, failure_id)
            except ApiError:
                continue
    text = f"Поставлено на повтор: {len(parked)}" if lang == "ru" else f"Queued for a retry: {len(parked)}"
    return _failures_page(request, who, text)


@router.get("/ui/unmatched")
def unmatched(request: Request) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    found = unmatched_employees(None, runtime_of(request))
    rows = [
        Row(
            [
                Cell(e.get("side", "")),
                Cell(str(e.get("name") or "")),
                Cell(str(e.get("email") or "")),
                Cell(str(e.get("reason") or e.get("why") or "")),
            ]
        )
        for e in found["items"]
    ]
    return render(
        request,
        "table.html",
        session=who,
        heading=word("unmatched", lang),
        current="unmatched",
        message=found.get("tracker_error"),
        columns=cols(lang, "side", "name", "email", "reason"),
        rows=rows,
    )


@router.get("/ui/links")
def links(request: Request) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    text = (request.query_params.get("q") or "").strip()
    found: list[Link] = []
    if text:
        with runtime_of(request).sessions() as s:
            found = list(
                s.execute(
                    select(Link)
                    .where(or_(Link.task_code.contains(text), Link.onec_ref == text.lower()))
                    .order_by(Link.task_code)
                    .limit(200)
                ).scalars()
            )
    rows = [
        Row(
            [
                Cell(lk.task_code, f"/ui/plan-fact/{lk.task_code}?lang={lang}"),
                Cell(lk.title),
                Cell(lk.status),
                Cell(lk.mapping),
                Cell(lk.onec_type),
                Cell(lk.onec_ref),
            ]
        )
        for lk in found
    ]
    return render(
        request,
        "table.html",
        session=who,
        heading=word("links", lang),
        current="links",
        filters=[Filter("q", word("search", lang), "search", text)],
        columns=[
            Col(word("code", lang)),
            Col(word("task", lang)),
            Col(word("status", lang)),
            Col(word("mapping", lang)),
            Col("1C"),
            Col("ref"),
        ],
        rows=rows,
        empty=None if text else word("search", lang),
    )


@router.get("/ui/mappings")
def mappings(request: Request) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    sets = None
    message = None
    if request.query_params.get("online") == "1":
        from connector.mapping.online import entity_sets

        try:
            sets = entity_sets(rt.onec.metadata())
        except Exception as exc:  # 1C down or refusing: said on the page, the offline check still shown
            message = f"1C $metadata: {type(exc).__name__}: {str(exc)[:200]}"
    rows: list[Row] = []
    try:
        files = load_loaded(rt.settings.mappings_dir, sets)
        rows = [
            Row([Cell(Path(f.path).name), Cell(f.mapping.name), Cell(word("valid", lang))]) for f in files
        ]
    except MappingError as exc:
        rows = [
            Row([Cell(p.path), Cell(f"{p.line}"), Cell(f"{p.message} — {p.fix}")], "bad")
            for p in exc.problems
        ]
    return render(
        request,
        "table.html",
        session=who,
        heading=word("mappings", lang),
        current="mappings",
        message=message,
        filters=[
            Filter(
                "online",
                word("online_check", lang),
                value=request.query_params.get("online", ""),
                options=[("1", word("online_check", lang))],
            )
        ],
        columns=cols(lang, "file", "mapping", "problems"),
        rows=rows,
    )


def _resync_form(
    request: Request,
    who: sessions.ConsoleSession,
    lang: Lang,
    errors: dict[str, str],
    values: dict[str, str],
    message: str | None = None,
    status: int = 200,
) -> Response:
    names = sorted(m.name for m in runtime_of(request).mappings)
    return render(
        request,
        "form.html",
        session=who,
        heading=word("resync", lang),
        current="resync",
        status=status,
        message=message,
        errors=errors,
        action="/ui/resync",
        submit=word("queue", lang),
        fields=[
            Filter(
                "mapping", word("mapping", lang), value=values.get("mapping"), options=[(n, n) for n in names]
            ),
            Filter("refs", word("refs", lang), "textarea", values.get("refs")),
        ],
    )


@router.get("/ui/resync")
def resync_page(request: Request) -> Response:
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    return _resync_form(request, who, lang_of(request), {}, {})


@router.post("/ui/resync")
async def resync(request: Request) -> Response:
    answer = await posted(request)
    if isinstance(answer, Response):
        return answer
    who, form = answer
    lang = lang_of(request)
    rt = runtime_of(request)
    errors: dict[str, str] = {}
    mapping = form.get("mapping") or ""
    if mapping not in {m.name for m in rt.mappings}:
        errors["mapping"] = "выберите сопоставление" if lang == "ru" else "choose a mapping"
    refs: list[str] = []
    for line in (form.get("refs") or "").split():
        try:
            refs.append(guid(line))
        except ValueError:
            errors["refs"] = (
                f"«{line[:40]}» — не ссылка 1С (GUID)"
                if lang == "ru"
                else f"{line[:40]!r} is not a 1C ref (GUID)"
            )
            break
    if errors:
        return _resync_form(request, who, lang, errors, form, status=400)
    request_id, coalesced = enqueue_resync(
        rt, {"mapping": mapping, "refs": sorted(set(refs)) or None, "since": None, "until": None}
    )
    text = f"{word('queued', lang)}: #{request_id}" + (
        " (уже ждал)" if coalesced and lang == "ru" else " (already waiting)" if coalesced else ""
    )
    return _resync_form(request, who, lang, {}, {"mapping": mapping}, message=text)
