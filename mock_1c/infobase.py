"""The in-memory 1C base every channel (OData, SOAP, admin) reads and writes.

Contract:
- Entities are stored in their OData-JSON shape and never mutated in place (copy on write), so
  a reader holding a snapshot list is consistent without copying entities.
- Every write of an object gets a new DataVersion (base64 of 8 bytes), registers the change
  for each exchange-plan node (published sets only) and notifies subscribers with
  ``{"type","Ref_Key","DataVersion","Number"?,"Date"?,"event"}`` after the write, in the
  writer's thread (a slow subscriber slows the write, as a 1C event subscription does).
- Business rules of labour documents run inside the write lock (mock_1c.labour); a write in
  load mode (``labour.WriteMode``) skips the rules that are event handlers in 1C.
"""

from __future__ import annotations

import base64
import struct
import threading
import uuid
from collections.abc import Callable
from typing import Any

from mock_1c import labour
from mock_1c.errors import OneCError, PreconditionFailed, not_found, unknown_set
from mock_1c.persist import SqliteStore
from mock_1c.schema import (
    ACCUMULATION_REGISTER,
    CLOSING_DATE,
    ENTITY_SETS,
    EXCHANGE_PLAN,
    TIMESHEET,
    UNDEFINED_TYPE,
    Field,
)

Entity = dict[str, Any]
Listener = Callable[[dict[str, Any]], None]


def data_version(counter: int) -> str:
    return base64.b64encode(struct.pack(">Q", counter)).decode("ascii")


def _row(owner: str, fields: tuple[Field, ...], values: Entity) -> Entity:
    row: Entity = {"Ref_Key": owner, "LineNumber": str(values.get("LineNumber", "1"))}
    for f in fields:
        if f.kind == "composite":
            row[f.name] = values.get(f.name, "")
            row[f.name + "_Type"] = values.get(f.name + "_Type", UNDEFINED_TYPE)
        else:
            name = f.json_names[0]
            row[name] = values.get(name, f.default())
    return row


class InfoBase:
    """Thread-safe store of entity sets with 1C's write semantics."""

    def __init__(self, data: dict[str, dict[str, Entity]], store: SqliteStore | None = None) -> None:
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._store = store
        self._sets: dict[str, dict[str, Entity]] = {name: {} for name in ENTITY_SETS}
        self._changes: dict[str, dict[str, int | None]] = {}
        self.meta: dict[str, Any] = {}
        self._counter = 0x0C_0000_0000
        self.generation = 0
        if store is not None and not store.is_empty():
            loaded, meta = store.load()
            self._sets.update(loaded)
            self._counter = int(meta.get("counter", self._counter))
            self._changes = {n: dict(c) for n, c in meta.get("changes", {}).items()}
            self.meta = meta.get("extra", {})
        else:
            for name, objs in data.items():
                for key, entity in objs.items():
                    if ENTITY_SETS[name].is_object:
                        entity["DataVersion"] = self._next_version()
                    self._sets[name][key] = entity
            if store is not None:
                store.save_all(self._sets)
                self._save_meta()

    # ---- reading -------------------------------------------------------------------------
    def entities(self, set_name: str) -> list[Entity]:
        """A snapshot of a set, in storage order (entities are shared, never mutate them)."""
        with self._lock:
            return list(self._set(set_name).values())

    def get(self, set_name: str, key: str) -> Entity | None:
        with self._lock:
            return self._set(set_name).get(key)

    def closing_date(self) -> str:
        with self._lock:
            return str(self._sets[CLOSING_DATE].get("Value", {}).get("Value", ""))

    # ---- writing -------------------------------------------------------------------------
    def subscribe(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def create(self, set_name: str, values: Entity, mode: labour.WriteMode = labour.NORMAL_WRITE) -> Entity:
        """A new object from (validated) values; Ref_Key may be given, else a new GUID."""
        es = ENTITY_SETS[set_name]
        with self._lock:
            entity = es.blank()
            entity.update(values)
            key = str(values.get("Ref_Key") or uuid.uuid4())
            if key in self._sets[set_name]:
                raise OneCError("15", f"Объект с ключом {key} уже существует.")
            entity["Ref_Key"] = key
            if es.kind == "Document" and not entity.get("Number"):
                entity["Number"] = self._next_number(set_name)
            entity["Posted"] = False if es.kind == "Document" else entity.get("Posted")
            if es.kind != "Document":
                entity.pop("Posted", None)
            event = self._write(set_name, None, entity, "created", mode)
        self._notify(event)
        return entity

    def update(
        self,
        set_name: str,
        key: str,
        values: Entity,
        if_match: str | None = None,
        mode: labour.WriteMode = labour.NORMAL_WRITE,
    ) -> Entity:
        with self._lock:
            old = self._existing(set_name, key, if_match)
            entity = dict(old)
            entity.update(values)
            entity["Ref_Key"] = key
            if entity.get("DeletionMark") and entity.get("Posted"):
                entity["Posted"] = False
            event = self._write(set_name, old, entity, "updated", mode)
            if set_name == TIMESHEET and (old.get("Posted") or entity.get("Posted")):
                self._replace_movements(key, labour.movements(entity) if entity.get("Posted") else [])
        self._notify(event)
        return entity

    def delete(self, set_name: str, key: str, if_match: str | None = None) -> None:
        with self._lock:
            old = self._existing(set_name, key, if_match)
            if set_name == TIMESHEET:
                self._replace_movements(key, [])
            del self._sets[set_name][key]
            self._persist(set_name, key, None)
            event = self._event(set_name, old, "deleted")
            self._register(set_name, key)
        self._notify(event)

    def post(self, set_name: str, key: str) -> Entity:
        return self._set_posted(set_name, key, True)

    def unpost(self, set_name: str, key: str) -> Entity:
        return self._set_posted(set_name, key, False)

    def set_closing_date(self, value: str) -> None:
        with self._lock:
            self._put_record(CLOSING_DATE, "Value", {"Value": value})

    def put_record(self, set_name: str, key: str, record: Entity | None) -> None:
        """Write (or with None remove) one register record by its key."""
        with self._lock:
            self._put_record(set_name, key, record)

    # ---- exchange plan -------------------------------------------------------------------
    def select_changes(self, node: str, message_no: int) -> list[dict[str, Any]]:
        """Changes registered for ``node`` not yet acknowledged; unstamped ones get ``message_no``."""
        with self._lock:
            self._node(node)
            regs = self._changes.setdefault(node, {})
            out = []
            for reg_key, stamp in list(regs.items()):
                if stamp is not None and stamp > message_no:
                    continue
                if stamp is None:
                    regs[reg_key] = message_no
                set_name, ref = reg_key.split("|", 1)
                current = self._sets[set_name].get(ref)
                item: dict[str, Any] = {"type": set_name, "Ref_Key": ref, "deleted": current is None}
                item["DataVersion"] = current["DataVersion"] if current else None
                out.append(item)
            self._update_node(node, SentNo=str(message_no))
            self._save_meta()
            return out

    def notify_changes_received(self, node: str, message_no: int) -> int:
        """Acknowledge every change stamped with a message ≤ ``message_no``; returns how many."""
        with self._lock:
            self._node(node)
            regs = self._changes.setdefault(node, {})
            done = [k for k, stamp in regs.items() if stamp is not None and stamp <= message_no]
            for k in done:
                del regs[k]
            self._update_node(node, ReceivedNo=str(message_no))
            self._save_meta()
            return len(done)

    def pending_changes(self, node: str) -> int:
        with self._lock:
            return len(self._changes.get(node, {}))

    def save_extra(self, key: str, value: Any) -> None:
        """Keep other channels' state (e.g. SOAP batches) with the base and its persistence."""
        with self._lock:
            self.meta[key] = value
            self._save_meta()

    # ---- internals -----------------------------------------------------------------------
    def _set(self, set_name: str) -> dict[str, Entity]:
        try:
            return self._sets[set_name]
        except KeyError:
            raise unknown_set(set_name) from None

    def _existing(self, set_name: str, key: str, if_match: str | None) -> Entity:
        old = self._set(set_name).get(key)
        if old is None:
            raise not_found(set_name, key)
        if if_match is not None and if_match.strip() not in ("*", old.get("DataVersion")):
            raise PreconditionFailed()
        return old

    def _node(self, node: str) -> Entity:
        entity = self._sets[EXCHANGE_PLAN].get(node)
        if entity is None:
            raise not_found(EXCHANGE_PLAN, node)
        return entity

    def _update_node(self, node: str, **values: str) -> None:
        entity = dict(self._sets[EXCHANGE_PLAN][node])
        entity.update(values)
        self._sets[EXCHANGE_PLAN][node] = entity
        self._persist(EXCHANGE_PLAN, node, entity)

    def _next_version(self) -> str:
        self._counter += 1
        return data_version(self._counter)

    def _next_number(self, set_name: str) -> str:
        prefix = {
            "Document_CRM_Интерес": "CRM-",
            TIMESHEET: "УВ-",
            "Document_ЭлектронноеПисьмоВходящее": "ЭП-",
        }
        return f"{prefix.get(set_name, '')}{len(self._sets[set_name]) + 1:06d}"

    def _write(
        self,
        set_name: str,
        old: Entity | None,
        entity: Entity,
        kind: str,
        mode: labour.WriteMode = labour.NORMAL_WRITE,
    ) -> dict[str, Any]:
        if set_name == TIMESHEET:
            others = [
                d
                for d in self._sets[TIMESHEET].values()
                if d["Сотрудник_Key"] == entity["Сотрудник_Key"] and d["Ref_Key"] != entity["Ref_Key"]
            ]
            labour.check_timesheet(entity, others, self.closing_date(), mode)
        for table, fields in ENTITY_SETS[set_name].tables.items():
            if entity.get(table) is not (old or {}).get(table):
                entity[table] = [_row(entity["Ref_Key"], fields, r) for r in entity.get(table) or []]
        entity["DataVersion"] = self._next_version()
        self._sets[set_name][entity["Ref_Key"]] = entity
        self._persist(set_name, entity["Ref_Key"], entity)
        self._register(set_name, entity["Ref_Key"])
        return self._event(set_name, entity, kind)

    def _set_posted(self, set_name: str, key: str, posted: bool) -> Entity:
        es = ENTITY_SETS.get(set_name)
        if es is None or es.kind != "Document":
            raise OneCError("11", f"Метод {'Post' if posted else 'Unpost'} не найден для {set_name}.")
        with self._lock:
            old = self._existing(set_name, key, None)
            entity = dict(old)
            entity["Posted"] = posted
            if set_name == TIMESHEET:
                labour.check_closing_date(
                    entity, self.closing_date(), "провести" if posted else "отменить проведение"
                )
            event = self._write(set_name, old, entity, "updated")
            if set_name == TIMESHEET:
                self._replace_movements(key, labour.movements(entity) if posted else [])
        self._notify(event)
        return entity

    def _replace_movements(self, recorder: str, records: list[Entity]) -> None:
        reg = self._sets[ACCUMULATION_REGISTER]
        for k in [k for k, r in reg.items() if r["Recorder"] == recorder]:
            del reg[k]
            self._persist(ACCUMULATION_REGISTER, k, None)
        for r in records:
            k = f"{recorder}|{r['LineNumber']}"
            reg[k] = r
            self._persist(ACCUMULATION_REGISTER, k, r)

    def _put_record(self, set_name: str, key: str, record: Entity | None) -> None:
        target = self._set(set_name)
        if record is None:
            target.pop(key, None)
        else:
            target[key] = record
        self._persist(set_name, key, record)

    def _register(self, set_name: str, key: str) -> None:
        if not ENTITY_SETS[set_name].published:
            return
        for node in self._sets[EXCHANGE_PLAN]:
            self._changes.setdefault(node, {})[f"{set_name}|{key}"] = None
        self._save_meta()

    def _event(self, set_name: str, entity: Entity, kind: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": set_name,
            "Ref_Key": entity["Ref_Key"],
            "DataVersion": entity["DataVersion"],
        }
        if "Number" in entity:
            event["Number"] = entity["Number"]
            event["Date"] = entity["Date"]
        event["event"] = kind
        return event

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(dict(event))

    def _persist(self, set_name: str, key: str, entity: Entity | None) -> None:
        self.generation += 1
        if self._store is not None:
            self._store.save(set_name, key, entity)

    def _save_meta(self) -> None:
        if self._store is not None:
            self._store.save_meta("counter", self._counter)
            self._store.save_meta("changes", self._changes)
            self._store.save_meta("extra", self.meta)
