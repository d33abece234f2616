"""The standard OData interface of the mock: one decoded request in, one 1C-shaped response out.

Runs in a worker thread (never on the event loop): reads take a snapshot of the set and project
it; writes go through the InfoBase so every channel shares rules, DataVersions and hooks.
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from mock_1c.errors import OneCError, not_found, unknown_set
from mock_1c.infobase import InfoBase
from mock_1c.kit import KitPieces
from mock_1c.labour import WriteMode
from mock_1c.odata import query, render
from mock_1c.odata.metadata import metadata_document, service_document
from mock_1c.odata.urls import Literal, QueryOptions, Resource, non_negative_int, parse_path, parse_query
from mock_1c.odata.values import check_values, parse_body
from mock_1c.schema import CLOSING_DATE, ENTITY_SETS, EXCHANGE_PLAN, EntitySet, table_owner

log = logging.getLogger(__name__)

LOAD_MODE_HEADER = "1C_OData-DataLoadMode"


@dataclass
class Switches:
    """The uncertain-behaviour switches of onec-protocol.md (set from the fault profile)."""

    if_match_ignored: bool = False
    plus_as_space: bool = False
    inlinecount_ignores_paging: bool = False
    skip_cost_us: float = 0.0
    load_mode_ignores_closing_date: bool = False


@dataclass
class ODataRequest:
    method: str
    path: str
    raw_query: bytes
    base: str
    accept: str = ""
    if_match: str | None = None
    load_mode: str | None = None  # the raw 1C_OData-DataLoadMode header, None when absent
    body: bytes = b""
    switches: Switches = field(default_factory=Switches)


class ODataService:
    def __init__(
        self, ib: InfoBase, kit: KitPieces | None = None, served: Callable[[str, int], None] | None = None
    ) -> None:
        self.ib = ib
        self.kit = kit or KitPieces()
        self.served = served  # told how many objects each collection answer carried
        self._results: OrderedDict[tuple[str, str, str], tuple[int, list[Any], list[str]]] = OrderedDict()
        self._results_lock = threading.Lock()

    def handle(self, req: ODataRequest) -> tuple[Response, str]:
        """(response, entity set name for statistics)."""
        fmt = "json" if b"json" in req.raw_query.lower() else render.negotiate(None, req.accept)
        res = Resource()
        try:
            opts = parse_query(req.raw_query, plus_as_space=req.switches.plus_as_space)
            fmt = render.negotiate(opts.get("$format"), req.accept)
            res = parse_path(req.path)
            return self._dispatch(req, res, opts, fmt), res.entity_set
        except OneCError as err:
            return render.error_response(err, "atom" if fmt == "atom" else "json"), res.entity_set
        except Exception as exc:  # a bug of the mock still answers as 1C does, never a stack trace
            log.exception("unexpected error in %s %s", req.method, req.path)
            internal = OneCError("-1", f"Внутренняя ошибка сервера: {type(exc).__name__}")
            return render.error_response(internal, "atom" if fmt == "atom" else "json"), res.entity_set

    # ---- routing -------------------------------------------------------------------------
    def _dispatch(self, req: ODataRequest, res: Resource, opts: QueryOptions, fmt: str) -> Response:
        mode = write_mode(req)
        if res.special:
            if req.method != "GET":
                raise OneCError("19", f"Метод HTTP {req.method} не поддерживается для этого ресурса.")
            if res.special == "metadata":
                document = self.kit.metadata(metadata_document())
                return Response(document, media_type="application/xml;charset=utf-8")
            return Response(service_document(req.base), media_type="application/xml;charset=utf-8")
        es = None if self.kit.set_hidden(res.entity_set) else ENTITY_SETS.get(res.entity_set)
        if es is None:
            owner = table_owner(res.entity_set)
            if owner is not None and req.method == "POST":
                raise OneCError("13", "Непосредственное создание строк табличной части не поддерживается.")
            raise unknown_set(res.entity_set)
        self._check_absent_fields(es, req, opts)
        allowed = opts.get("allowedOnly")
        if allowed is not None and allowed not in ("true", "false"):
            raise OneCError("14", f"Неверное значение параметра allowedOnly: {allowed}")
        m = req.method
        if es.kind == "Constant":
            return self._constant(req, es, fmt)
        if res.key is None:
            if res.segment == "$count" and m == "GET":
                return self._count(es, opts)
            if res.segment:
                raise OneCError("6", f"Неверный адрес ресурса: {req.path}")
            if m == "GET":
                return self._collection(req, es, opts, fmt)
            if m == "POST":
                return self._create(req, es, fmt, mode)
            raise OneCError("19", f"Метод HTTP {m} не поддерживается для набора сущностей.")
        key = self._object_key(es, res.key)
        if res.segment:
            return self._operation(req, es, key, res.segment, opts, fmt, mode)
        if m == "GET":
            if opts.get("$expand"):
                raise OneCError("14", "Параметр $expand не поддерживается при получении одной сущности.")
            return self._single(req, es, key, opts, fmt)
        if not es.is_object:
            raise OneCError("19", f"Метод HTTP {m} не поддерживается для «{es.name}».")
        if_match = None if req.switches.if_match_ignored else req.if_match
        if m in ("PATCH", "PUT", "MERGE"):
            values = check_values(es, parse_body(req.body), creating=False)
            entity = self.ib.update(es.name, key, values, if_match, mode)
            return self._entity_response(req, es, entity, fmt)
        if m == "DELETE":
            self.ib.delete(es.name, key, if_match)
            return Response(status_code=204)
        raise OneCError("19", f"Метод HTTP {m} не поддерживается для сущности.")

    def _check_absent_fields(self, es: EntitySet, req: ODataRequest, opts: QueryOptions) -> None:
        """A field the base lacks (``--without field:…``) named in the query or a write: code 10."""
        if self.kit.complete:
            return
        texts = [opts.get(o) or "" for o in ("$select", "$filter", "$orderby", "$expand")]
        if req.method in ("POST", "PATCH", "PUT", "MERGE") and req.body:
            texts.append(" ".join(_body_names(req.body)))
        for text in texts:
            name = self.kit.named_hidden(es.name, text)
            if name is None:
                for table in es.tables:
                    name = self.kit.named_hidden(f"{es.name}_{table}", text)
                    if name is not None:
                        break
            if name is not None:
                raise OneCError("10", f"Свойство «{name}» не найдено у «{es.name}».")

    def _object_key(self, es: EntitySet, key: dict[str, Literal]) -> str:
        if not es.key_fields:
            raise OneCError("6", f"У «{es.name}» нет ключа.")
        if set(key) != set(es.key_fields):
            missing = ", ".join(sorted(set(es.key_fields) - set(key))) or ", ".join(sorted(key))
            raise OneCError("7", f"Неверный или неполный ключ «{es.name}»: {missing}.")
        if es.is_object:
            lit = key["Ref_Key"]
            if lit.kind != "guid":
                raise OneCError("6", f"Ключ «{es.name}» должен быть guid'…', получено: {lit.value!r}.")
            return str(lit.value)
        for entity in self.ib.entities(es.name):
            if all(str(entity.get(k)) == str(v.value) for k, v in key.items()):
                return "|".join(str(entity.get(k)) for k in es.key_fields)
        raise not_found(es.name, ",".join(f"{k}={v.value}" for k, v in key.items()))

    # ---- reads ---------------------------------------------------------------------------
    def _select(
        self, es: EntitySet, opts: QueryOptions, order: list[tuple[str, bool]] | None = None
    ) -> tuple[list[Any], int]:
        """Filtered (and ordered) snapshot and the position of its first row.

        Reads through the ``Ref_Key`` index as 1C does (``query.KeyAccess``): a keyset page
        (``Ref_Key gt guid'…'`` ordered by ``Ref_Key``) starts at its key in the snapshot of the
        other conditions, a batch of ``Ref_Key eq guid'…'`` seeks its keys; so a page costs the
        same wherever it lies. Snapshots are reused while the base is unchanged."""
        text = opts.get("$filter")
        if text is None:
            return self._snapshot(es, "", None, order)[0], 0
        tree, pred = query.parse_and_compile(self.ib, es, text)
        access = query.key_access(tree)
        if access.refs is not None:
            found = (self.ib.get(es.name, r) for r in sorted(access.refs))
            items: list[Any] = [e for e in found if e is not None and pred(e)]
            return (query.apply_order(items, order) if order else items), 0
        if access.after is not None and order == [("Ref_Key", False)]:
            rest = query.compile_rest(self.ib, es, access)
            items, keys = self._snapshot(es, access.rest_key, rest, order, keyed=True)
            find = bisect.bisect_left if access.inclusive else bisect.bisect_right
            return items, find(keys, access.after)
        return self._snapshot(es, text, pred, order)[0], 0

    def _snapshot(
        self,
        es: EntitySet,
        key: str,
        pred: Callable[[Any], bool] | None,
        order: list[tuple[str, bool]] | None,
        *,
        keyed: bool = False,
    ) -> tuple[list[Any], list[str]]:
        """The rows of ``es`` matching ``pred`` in ``order`` (cached under ``key`` while the base is
        unchanged) and, when ``keyed``, their ``Ref_Key`` column for seeking a keyset page."""
        cache_key = (es.name, key, repr(order))
        generation = self.ib.generation
        with self._results_lock:
            hit = self._results.get(cache_key)
            if hit is not None and hit[0] == generation and (hit[2] or not keyed):
                self._results.move_to_end(cache_key)
                return hit[1], hit[2]
        items: list[Any] = self.ib.entities(es.name)
        if pred is not None:
            items = [e for e in items if pred(e)]
        if order:
            items = query.apply_order(items, order)
        keys = [str(e.get("Ref_Key", "")).lower() for e in items] if keyed else []
        with self._results_lock:
            self._results[cache_key] = (generation, items, keys)
            while len(self._results) > 32:
                self._results.popitem(last=False)
        return items, keys

    def _count(self, es: EntitySet, opts: QueryOptions) -> Response:
        items, start = self._select(es, opts)
        return Response(str(len(items) - start), media_type="text/plain;charset=utf-8")

    def _collection(self, req: ODataRequest, es: EntitySet, opts: QueryOptions, fmt: str) -> Response:
        top, skip = non_negative_int(opts, "$top"), non_negative_int(opts, "$skip")
        inline = opts.get("$inlinecount")
        if inline not in (None, "allpages", "none"):
            raise OneCError("14", f"Неверное значение параметра $inlinecount: {inline}")
        order = query.order_key(es, opts.get("$orderby") or "") if opts.get("$orderby") else []
        project = query.projector(
            self.ib, es, opts.get("$select"), opts.get("$expand"), nav_links=fmt == "json"
        )
        items, start = self._select(es, opts, order)
        count = len(items) - start
        if skip:
            if req.switches.skip_cost_us:
                time.sleep(req.switches.skip_cost_us * skip / 1_000_000)
            start += skip
        end = len(items) if top is None else min(len(items), start + top)
        page = items[start:end]
        if inline == "allpages" and req.switches.inlinecount_ignores_paging:
            count = len(page)
        values = [self.kit.strip(es.name, project(e)) for e in page]
        if self.served is not None:
            self.served(es.name, len(values))
        if fmt == "atom":
            return render.atom_feed(req.base, es.name, values, count if inline == "allpages" else None)
        body: dict[str, Any] = {}
        if fmt == "json":
            body["odata.metadata"] = f"{req.base}$metadata#{es.name}"
        if inline == "allpages":
            body["odata.count"] = str(count)
        body["value"] = values
        return render.json_response(body)

    def _single(self, req: ODataRequest, es: EntitySet, key: str, opts: QueryOptions, fmt: str) -> Response:
        entity = self.ib.get(es.name, key)
        if entity is None:
            raise not_found(es.name, key)
        project = query.projector(self.ib, es, opts.get("$select"), None, nav_links=fmt == "json")
        return self._entity_response(req, es, project(entity), fmt, shaped=True)

    def _entity_response(
        self,
        req: ODataRequest,
        es: EntitySet,
        entity: dict[str, Any],
        fmt: str,
        status: int = 200,
        *,
        shaped: bool = False,
    ) -> Response:
        if not shaped:
            entity = query.projector(self.ib, es, None, None, nav_links=fmt == "json")(entity)
        entity = self.kit.strip(es.name, entity)
        headers = {}
        if status == 201:
            headers["Location"] = quote(f"{req.base}{es.name}(guid'{entity['Ref_Key']}')", safe=":/()'=%")
        if fmt == "atom":
            return render.atom_entry(req.base, es.name, entity, status, headers)
        body: dict[str, Any] = {}
        if fmt == "json":
            body["odata.metadata"] = f"{req.base}$metadata#{es.name}/@Element"
        body.update(entity)
        return render.json_response(body, status, headers)

    # ---- writes and operations -----------------------------------------------------------
    def _create(self, req: ODataRequest, es: EntitySet, fmt: str, mode: WriteMode) -> Response:
        if not es.is_object:
            raise OneCError("19", f"Создание записей «{es.name}» этим методом не поддерживается.")
        values = check_values(es, parse_body(req.body), creating=True)
        entity = self.ib.create(es.name, values, mode)
        return self._entity_response(req, es, entity, fmt, 201)

    def _constant(self, req: ODataRequest, es: EntitySet, fmt: str) -> Response:
        if req.method in ("PATCH", "PUT", "MERGE"):
            values = check_values(es, parse_body(req.body), creating=False)
            if "Value" not in values:
                raise OneCError("5", "Не указано значение константы (Value).")
            self.ib.set_closing_date(values["Value"]) if es.name == CLOSING_DATE else None
        elif req.method != "GET":
            raise OneCError("19", f"Метод HTTP {req.method} не поддерживается для константы.")
        body: dict[str, Any] = {"Value": self.ib.closing_date()}
        if fmt == "atom":
            return render.atom_entry(req.base, es.name, body)
        if fmt == "json":
            body = {"odata.metadata": f"{req.base}$metadata#{es.name}/@Element", **body}
        return render.json_response(body)

    def _operation(
        self,
        req: ODataRequest,
        es: EntitySet,
        key: str,
        op: str,
        opts: QueryOptions,
        fmt: str,
        mode: WriteMode,
    ) -> Response:
        if op in ("Post", "Unpost", "SelectChanges", "NotifyChangesReceived"):
            if req.method not in ("POST", "GET" if es.kind == "ExchangePlan" else "POST"):
                raise OneCError("19", f"Метод {op} вызывается запросом POST.")
        if op in ("Post", "Unpost") and es.kind == "Document":
            operational = opts.get("PostingModeOperational")
            if operational not in (None, "true", "false"):
                raise OneCError("4", f"Неверное значение параметра PostingModeOperational: {operational}")
            if mode.load:
                action = "Проведение" if op == "Post" else "Отмена проведения"
                raise OneCError(
                    "17",
                    f"{action} документа в режиме загрузки данных ({LOAD_MODE_HEADER}) не поддерживается.",
                )
            entity = self.ib.post(es.name, key) if op == "Post" else self.ib.unpost(es.name, key)
            return self._entity_response(req, es, entity, fmt)
        if op in ("SelectChanges", "NotifyChangesReceived") and es.name == EXCHANGE_PLAN:
            raw = opts.get("MessageNo")
            if raw is None:
                raise OneCError("12", "Не указан параметр MessageNo.")
            if not raw.isdigit():
                raise OneCError("4", f"Неверное значение параметра MessageNo: {raw}")
            if op == "SelectChanges":
                changes = self.ib.select_changes(key, int(raw))
                return render.json_response({"MessageNo": int(raw), "value": changes})
            acknowledged = self.ib.notify_changes_received(key, int(raw))
            return render.json_response({"MessageNo": int(raw), "acknowledged": acknowledged})
        if req.method == "GET" and op in {f.name for f in es.ref_fields()}:
            source = self.ib.get(es.name, key)
            if source is None:
                raise not_found(es.name, key)
            target_set = next(f.target for f in es.ref_fields() if f.name == op)
            target = self.ib.get(target_set, source[op + "_Key"])
            if target is None:
                raise not_found(target_set, source[op + "_Key"])
            return self._entity_response(req, ENTITY_SETS[target_set], target, fmt)
        raise OneCError("11", f"Метод или свойство «{op}» не найдено у «{es.name}».")


def _body_names(body: bytes) -> list[str]:
    """Property names of a JSON write body, tabular rows included (nothing if it is not JSON)."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    names: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            names.append(str(key))
            if isinstance(value, list):
                names += [str(k) for row in value if isinstance(row, dict) for k in row]
    return names


def write_mode(req: ODataRequest) -> WriteMode:
    """The write mode a request asks for with ``1C_OData-DataLoadMode``; only ``true`` and ``false``
    are values (anything else, an empty value included, is code 17). The closing date binds a load
    unless the ``load_mode_ignores_closing_date`` switch is on."""
    raw = req.load_mode
    if raw is None or raw.strip() == "false":
        return WriteMode()
    if raw.strip() != "true":
        raise OneCError(
            "17",
            f"Неверное значение заголовка {LOAD_MODE_HEADER}: «{raw}». Допустимые значения: true, false.",
        )
    return WriteMode(load=True, closing_date=not req.switches.load_mode_ignores_closing_date)


def split_odata_path(path: str, infobase: str) -> str | None:
    """The part of a decoded request path below ``/<infobase>/odata/standard.odata/``."""
    prefix = f"/{infobase}/odata/standard.odata"
    if path == prefix:
        return ""
    if path.startswith(prefix + "/"):
        return path[len(prefix) + 1 :]
    return None
