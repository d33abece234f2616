"""``onec-bridge doctor``: does the live 1C base provide what the mappings need?

One check per thing the connector relies on, each ✓ or ✗ with the fix: every entity set the
mappings read (published in the standard OData interface, every field they select there, a read
allowed to the integration user), the labour target (``Document_УчетВремени`` or the
``TimeTracking`` web service answering ``GetLabour``), the closing-date constant, the exchange-plan
node of the change feed, and the ``ТТ_`` totals and overrun fields the labour flow writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial

from connector.mapping.crm_model import BUILTIN
from connector.mapping.schema import Mapping
from connector.onec.changes import ExchangePlanFeed
from connector.onec.errors import OneCError
from connector.onec.metadata import EntitySetInfo
from connector.onec.query import entity_path
from connector.runtime import Runtime

CLOSING_DATE = "Constant_ТТ_ДатаЗапретаИзменения"
EXCHANGE_PLAN = "ExchangePlan_ТТ_ОбменСТрекером"
TIMESHEET = "Document_УчетВремени"
KIT = (
    "load the ТТ_ТрекерВремени extension (onec_kit/) and run its command «Настроить подключение к трекеру "
    "времени»: it adds the kit's sets to the OData content"
)


@dataclass(frozen=True)
class Check:
    """One thing checked: what, whether it holds, what was seen, and the fix when it does not."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def _needs(mappings: list[Mapping]) -> tuple[dict[str, set[str]], set[str]]:
    """Entity set → fields the mappings read or write there; the labour channels in use."""
    sets: dict[str, set[str]] = {}
    channels: set[str] = set()
    for m in mappings:
        if m.source is not None:
            fields = sets.setdefault(m.source.entity_set, set())
            fields |= {f for f in m.source.select if "/" not in f}
            if m.labour is not None:
                fields |= {f for f in (m.labour.totals_field, m.labour.overrun_field) if f}
        if m.labour is not None:
            channels.add(m.labour.channel)
    return sets, channels


def run_checks(runtime: Runtime, today: date | None = None) -> list[Check]:
    """Every check against the live base, in a stable order (never raises for a missing piece)."""
    return list(_checks(runtime, today or date.today()))


def _checks(runtime: Runtime, today: date) -> Iterator[Check]:
    onec = runtime.onec
    published: dict[str, EntitySetInfo] = onec.metadata()
    sets, channels = _needs(list(runtime.mappings))
    if "odata_timesheet" in channels:
        sets.setdefault(TIMESHEET, set())  # its ТТ_ columns live in the Операции rows
    for name in sorted(sets):
        info = published.get(name)
        if info is None:
            yield Check(
                f"{name} published", False, "not in $metadata", KIT if "ТТ_" in name else _publish(name)
            )
            continue
        missing = sorted(f for f in sets[name] if f not in info.properties and f not in info.navigation)
        if name == TIMESHEET and "odata_timesheet" in channels:
            missing += _missing_row_fields(info)
        if missing:
            fix = KIT if any("ТТ_" in f for f in missing) else _publish(name)
            yield Check(f"{name} fields", False, "missing: " + ", ".join(missing), fix)
        else:
            present = f"{len(sets[name])} field(s) present" if sets[name] else "published"
            yield Check(f"{name} fields", True, present)
        yield _try(
            f"{name} readable",
            partial(_read_one, runtime, name),
            "give the integration user read rights (role ТТ_ИнтеграцияСТрекером)",
        )
    yield _try(
        f"{CLOSING_DATE} readable",
        partial(_read_one, runtime, CLOSING_DATE),
        "publish the closing-date constant of the ТТ_ТрекерВремени extension in the OData content",
    )
    if any(
        d.kind == "exchange_plan" for m in runtime.mappings if m.source for d in m.source.change_detection
    ):
        node = runtime.settings.onec_exchange_node
        if not node:
            yield Check(
                "exchange-plan node",
                False,
                "ONEC_BRIDGE_ONEC_EXCHANGE_NODE is empty",
                f"create a node of {EXCHANGE_PLAN} and set ONEC_BRIDGE_ONEC_EXCHANGE_NODE to its code",
            )
        elif EXCHANGE_PLAN not in published:
            yield Check(f"exchange-plan node {node}", False, f"{EXCHANGE_PLAN} is not in $metadata", KIT)
        else:
            yield _try(
                f"exchange-plan node {node}",
                lambda: ExchangePlanFeed(onec, node, exchange_plan=EXCHANGE_PLAN).node_ref(),
                f"create the node in {EXCHANGE_PLAN} or fix ONEC_BRIDGE_ONEC_EXCHANGE_NODE",
            )
    if "soap" in channels:
        yield _try(
            "web service TimeTracking answers GetLabour",
            lambda: list(runtime.soap.get_labour(today, today)),
            "publish the TimeTracking web service of the ТТ_ТрекерВремени extension on the web server",
        )


def _missing_row_fields(info: EntitySetInfo) -> list[str]:
    """The ``ТТ_`` columns the labour flow writes into the timesheet's rows, where the base lacks them."""
    out = []
    for table, columns in BUILTIN[TIMESHEET].tabular.items():
        present = info.rows.get(table, {})
        out += [f"{table}.{c}" for c in sorted(columns) if c.startswith("ТТ_") and c not in present]
    return out


def _publish(name: str) -> str:
    return f"add {name} to the standard OData interface content (SetStandardODataInterfaceContent)"


def _read_one(runtime: Runtime, name: str) -> object:
    onec = runtime.onec
    top = "" if name.startswith("Constant_") else "&$top=1"
    return onec.http.request("GET", f"{onec.root}/{entity_path(name)}?$format=json{top}", entity_set=name)


def _try(name: str, action: Callable[[], object], fix: str) -> Check:
    try:
        action()
    except OneCError as exc:
        status = f"HTTP {exc.status}: " if exc.status else ""
        return Check(name, False, f"{status}{str(exc).split(' [')[0]}", fix)
    return Check(name, True, "ok")
