"""Where a tracker task's time goes in 1C: task code → object, work type, customer, billability.

Codes resolve through the links the inbound flow stored (``onec_type``/``onec_ref``) and the
mapping's labour section; static category tasks (sales) resolve to a work type alone. Each code
is resolved once per run, its object read once (work type / customer fields, deletion mark, and
for project tasks the participants' planned hours). A code that cannot be placed gets a named
reason instead of a target, so the run counts it and nothing is written for it.

The resolver reads 1C and never the store: the links it needs are loaded beforehand
(``load_link_refs``, in a short transaction), so no store transaction is held open while 1C
answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.mapping.schema import Mapping, RefByGuidOrName
from connector.onec.client import ODataClient
from connector.onec.errors import NotFound
from connector.onec.query import F, Guid
from connector.store.models import Link
from connector.sync.core.model import RoundingRule, Target

WORK_TYPES = "Catalog_Номенклатура"

UNKNOWN_TASK = "unknown_task"
NO_LABOUR_SECTION = "mapping_without_labour"
OBJECT_DELETED = "object_deleted_in_1c"
UNKNOWN_WORK_TYPE = "unknown_work_type"
PROJECT_TASKS = "Catalog_ЗадачиПроектов"
PARTICIPANTS = "Участники"


@dataclass(frozen=True)
class LinkRef:
    """What resolving a task code needs from its link."""

    mapping: str
    onec_type: str
    onec_ref: str


def load_link_refs(session: Session, codes: Iterable[str]) -> dict[str, LinkRef]:
    """Links of ``codes`` (task code → ``LinkRef``), 500 codes per query."""
    wanted = sorted(set(codes))
    out: dict[str, LinkRef] = {}
    for i in range(0, len(wanted), 500):
        q = select(Link.task_code, Link.mapping, Link.onec_type, Link.onec_ref).where(
            Link.task_code.in_(wanted[i : i + 500])
        )
        for code, mapping, onec_type, onec_ref in session.execute(q):
            out[code] = LinkRef(mapping, onec_type, onec_ref)
    return out


def field_value(obj: dict[str, Any], path: str) -> Any:
    """``obj[path]``, or for ``Nav/Field`` the field of the expanded reference (None if absent)."""
    if "/" not in path:
        return obj.get(path)
    nav, rest = path.split("/", 1)
    inner = obj.get(nav)
    return inner.get(rest) if isinstance(inner, dict) else None


def participant_plans(obj: dict[str, Any]) -> dict[str, int] | None:
    """Planned minutes per participant (1C user ref) of a project task; None without the table."""
    rows = obj.get(PARTICIPANTS)
    if not isinstance(rows, list):
        return None
    out: dict[str, int] = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("Пользователь_Key"), str):
            continue
        hours = row.get("ПлановыеТрудозатраты")
        if isinstance(hours, int | float) and not isinstance(hours, bool) and hours > 0:
            user = row["Пользователь_Key"]
            out[user] = out.get(user, 0) + round(float(hours) * 60)
    return out


@dataclass
class Resolution:
    target: Target | None
    reason: str | None = None
    detail: str = ""


@dataclass
class TargetResolver:
    """Resolves task codes for one run; results and 1C reads are cached for the run.

    ``plans`` collects the participants' planned minutes of the project tasks read (1C ref →
    user ref → minutes) for the engine to store with their links.
    """

    links: dict[str, LinkRef]
    onec: ODataClient
    mappings: list[Mapping]
    plans: dict[str, dict[str, int]] = field(default_factory=dict)
    _cache: dict[str, Resolution] = field(default_factory=dict)
    _work_types: dict[str, str] | None = None

    def labour_mappings(self) -> list[Mapping]:
        return [m for m in self.mappings if m.labour is not None]

    def mapping(self, name: str) -> Mapping | None:
        return next((m for m in self.mappings if m.name == name), None)

    def rounding_for(self, target: Target) -> RoundingRule:
        m = self.mapping(target.mapping)
        if m is None or m.labour is None:
            return RoundingRule()
        return RoundingRule(m.labour.rounding.unit_minutes, m.labour.rounding.mode)

    def resolve(self, code: str) -> Resolution:
        if code not in self._cache:
            self._cache[code] = self._resolve(code)
        return self._cache[code]

    def work_types(self) -> dict[str, str]:
        """Work types of the base: Ref_Key → Description (deletion-marked ones left out)."""
        if self._work_types is None:
            self._work_types = {
                w["Ref_Key"]: str(w.get("Description") or "")
                for w in self.onec.iter_entities(
                    WORK_TYPES, select=["Ref_Key", "Description", "DeletionMark"]
                )
                if not w.get("DeletionMark")
            }
        return self._work_types

    def _named(self, ref: RefByGuidOrName) -> str | None:
        if ref.ref is not None:
            return ref.ref if ref.ref in self.work_types() else None
        found = sorted(r for r, d in self.work_types().items() if d == ref.description)
        return found[0] if found else None

    def _read(self, link: LinkRef, fields: list[str]) -> dict[str, Any]:
        """The object's ``fields``; a ``Nav/Field`` path is read through ``$expand`` of ``Nav``."""
        navs = sorted({f.split("/", 1)[0] for f in fields if "/" in f})
        if not navs:
            return self.onec.get(link.onec_type, link.onec_ref, select=fields)
        found = list(
            self.onec.iter_entities(
                link.onec_type, filter=F("Ref_Key") == Guid(link.onec_ref), select=fields, expand=navs
            )
        )
        if not found:
            raise NotFound(f"{link.onec_type} {link.onec_ref} not found")
        return found[0]

    def _resolve(self, code: str) -> Resolution:
        for m in self.labour_mappings():
            for st in m.static_tasks:
                if st.code == code:
                    assert m.labour is not None
                    wt = self._named(st.work_type)
                    if wt is None:
                        return Resolution(
                            None, UNKNOWN_WORK_TYPE, f"{code}: work type {st.work_type} not in 1C"
                        )
                    return Resolution(Target(None, None, wt, None, m.labour.billable, m.name))
        link = self.links.get(code)
        if link is None:
            return Resolution(None, UNKNOWN_TASK, code)
        owner = self.mapping(link.mapping)
        if owner is None or owner.labour is None or owner.labour.work_type is None:
            return Resolution(None, NO_LABOUR_SECTION, f"{code}: mapping {link.mapping!r}")
        lab, work_type = owner.labour, owner.labour.work_type
        wanted = [f for f in (work_type.field, lab.customer_field) if f]
        if link.onec_type == PROJECT_TASKS:
            wanted.append(PARTICIPANTS)
        try:
            obj = self._read(link, ["Ref_Key", "DeletionMark", *wanted])
        except NotFound:
            return Resolution(None, OBJECT_DELETED, f"{code}: {link.onec_type} {link.onec_ref}")
        if obj.get("DeletionMark"):
            return Resolution(
                None, OBJECT_DELETED, f"{code}: {link.onec_type} {link.onec_ref} marked for deletion"
            )
        plans = participant_plans(obj) if link.onec_type == PROJECT_TASKS else None
        if plans is not None:
            self.plans[link.onec_ref] = plans
        if work_type.field:
            value = obj.get(work_type.field)
            wt = value if isinstance(value, str) and value in self.work_types() else None
        else:
            wt = self._named(work_type)
        if wt is None:
            return Resolution(None, UNKNOWN_WORK_TYPE, f"{code}: work type of {link.onec_type} not in 1C")
        customer = field_value(obj, lab.customer_field) if lab.customer_field else None
        return Resolution(
            Target(
                link.onec_type,
                link.onec_ref,
                wt,
                customer if isinstance(customer, str) and customer else None,
                lab.billable,
                owner.name,
            )
        )
