"""Change feeds: which 1C objects changed since the caller's last committed state.

One interface, three sources, cheapest first (architecture §2):

- ``ExchangePlanFeed``: 1C registers changes for the connector's exchange-plan node;
  ``SelectChanges`` returns them (deleted objects as tombstones) and they stay registered until
  ``ack()`` sends ``NotifyChangesReceived``: call it only after committing the work, so a crash
  means redelivery, never loss.
- ``DataVersionScan``: reads ``Ref_Key, DataVersion`` of a whole entity set page by page and
  compares with the versions the caller stored; stored refs no longer in 1C are tombstones.
- ``DateCursorFeed``: objects whose date field lies in ``[cursor − overlap, now − lag]``; the
  inclusive bound plus overlap catches rows sharing the cursor value, the lag skips rows still
  being committed. Cannot see deletions (pair it with a periodic scan).

The caller persists ``new_state`` in the same transaction as the work it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from connector.onec.client import ODataClient
from connector.onec.errors import Fatal, NotFound
from connector.onec.query import Expr, F, check_name, guid

S = TypeVar("S")


@dataclass(frozen=True)
class Change:
    """One changed object; ``deleted`` marks a tombstone (``data_version`` is then None)."""

    entity_set: str
    ref: str
    data_version: str | None
    deleted: bool = False


@dataclass
class ChangeBatch(Generic[S]):
    """What changed, the state to store once it is processed, and an optional acknowledgement
    to call after that commit (``None`` when storing ``new_state`` is enough)."""

    items: list[Change]
    new_state: S
    ack: Callable[[], None] | None = field(default=None, repr=False)


class ChangeFeed(Protocol[S]):
    def changes(self, state: S) -> ChangeBatch[S]: ...


class ExchangePlanFeed:
    """Changes registered on an exchange-plan node. State: the last message number used (0 at first).

    Each call selects with message ``state + 1``; changes not acknowledged by ``ack()`` are
    returned again by the next call, whatever number it uses."""

    def __init__(
        self,
        client: ODataClient,
        node: str,
        *,
        exchange_plan: str = "ExchangePlan_ТТ_ОбменСТрекером",
        entity_sets: Iterable[str] | None = None,
    ) -> None:
        self.client = client
        self.exchange_plan = check_name(exchange_plan, "exchange plan")
        self._node_input = node
        self._node_ref: str | None = None
        self.entity_sets = frozenset(entity_sets) if entity_sets is not None else None

    def node_ref(self) -> str:
        """The node's Ref_Key; ``node`` may be given as a GUID or as the node's ``Code``."""
        if self._node_ref is None:
            try:
                self._node_ref = guid(self._node_input)
            except ValueError:
                # Codes are fixed-length and served space-padded; exchange plans have few nodes.
                wanted = self._node_input.strip()
                nodes = self.client.iter_entities(self.exchange_plan, select=["Ref_Key", "Code"])
                found = next((n for n in nodes if str(n.get("Code", "")).strip() == wanted), None)
                if found is None:
                    raise NotFound(
                        f"exchange plan {self.exchange_plan} has no node with code {wanted!r}",
                        entity_set=self.exchange_plan,
                    ) from None
                self._node_ref = str(found["Ref_Key"])
        return self._node_ref

    def changes(self, state: int) -> ChangeBatch[int]:
        message_no = int(state or 0) + 1
        node = self.node_ref()
        # Both calls are safe to repeat: unacknowledged changes come back, acknowledging twice is a no-op.
        body = self.client.invoke(
            self.exchange_plan, node, "SelectChanges", {"MessageNo": message_no}, idempotent=True
        )
        rows = body.get("value") if isinstance(body, dict) else body
        if not isinstance(rows, list):
            raise Fatal(f"exchange plan {self.exchange_plan}: SelectChanges answered no list of changes")
        items = [self._change(row) for row in rows]
        if self.entity_sets is not None:
            items = [c for c in items if c.entity_set in self.entity_sets]

        def ack() -> None:
            self.client.invoke(
                self.exchange_plan, node, "NotifyChangesReceived", {"MessageNo": message_no}, idempotent=True
            )

        return ChangeBatch(items, message_no, ack)

    def _change(self, row: Any) -> Change:
        if not isinstance(row, dict) or "Ref_Key" not in row or "type" not in row:
            raise Fatal(f"exchange plan {self.exchange_plan}: a change without type/Ref_Key: {row!r:.200}")
        deleted = bool(row.get("deleted"))
        version = row.get("DataVersion")
        return Change(str(row["type"]), str(row["Ref_Key"]), None if deleted else version, deleted)


class DataVersionScan:
    """Compares ``Ref_Key, DataVersion`` of every object with the caller's stored versions.

    State: ``{ref: DataVersion}`` the caller knows. ``new_state`` holds the current versions
    (refs and short version strings only, one page of objects in memory at a time)."""

    def __init__(
        self,
        client: ODataClient,
        entity_set: str,
        *,
        filter: Expr | None = None,
        page_size: int | None = None,
    ) -> None:
        self.client = client
        self.entity_set = check_name(entity_set, "entity set")
        self.filter = filter
        self.page_size = page_size

    def changes(self, state: Mapping[str, str]) -> ChangeBatch[dict[str, str]]:
        current: dict[str, str] = {}
        items: list[Change] = []
        rows = self.client.iter_entities(
            self.entity_set, filter=self.filter, select=["Ref_Key", "DataVersion"], page_size=self.page_size
        )
        for row in rows:
            ref, version = str(row["Ref_Key"]), str(row.get("DataVersion") or "")
            current[ref] = version
            if state.get(ref) != version:
                items.append(Change(self.entity_set, ref, version))
        items.extend(Change(self.entity_set, ref, None, True) for ref in state if ref not in current)
        return ChangeBatch(items, current)


class DateCursorFeed:
    """Objects whose ``date_field`` is in ``[cursor − overlap, now − lag]``. State: the cursor
    (an aware datetime, or None for "from the beginning"); ``new_state`` is ``now − lag``."""

    def __init__(
        self,
        client: ODataClient,
        entity_set: str,
        *,
        date_field: str = "Date",
        overlap: timedelta = timedelta(minutes=5),
        lag: timedelta = timedelta(seconds=30),
        filter: Expr | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.entity_set = check_name(entity_set, "entity set")
        self.date_field = check_name(date_field, "date field")
        self.overlap = overlap
        self.lag = lag
        self.filter = filter
        self.now = now

    def changes(self, state: datetime | None) -> ChangeBatch[datetime | None]:
        upper = self.now() - self.lag
        if state is not None and state.tzinfo is None:
            raise ValueError("the date cursor must be an aware datetime")
        flt: Expr = F(self.date_field) <= upper
        if state is not None:
            flt = (F(self.date_field) >= state - self.overlap) & flt
        if self.filter is not None:
            flt = flt & self.filter
        rows = self.client.iter_entities(
            self.entity_set, filter=flt, select=["Ref_Key", "DataVersion", self.date_field]
        )
        items = [Change(self.entity_set, str(r["Ref_Key"]), r.get("DataVersion")) for r in rows]
        new_state = upper if state is None or upper > state else state
        return ChangeBatch(items, new_state)
