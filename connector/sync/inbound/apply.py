"""Applying task decisions to the store: links (the task feed) and what the run learned.

``LinkWriter`` is the only place the inbound flow writes links. It works inside the caller's
transaction (the caller commits links, run counters and the cursor together) and, in dry-run
mode, decides exactly as it would but writes nothing. Links of a batch are fetched with one
query, not one per object, and written in bulk (``upsert_links_bulk``) before each commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from connector.store.links import LinkData, links_by_ref, upsert_links_bulk
from connector.store.models import Link
from connector.sync.core.model import LinkState, TaskAction, TaskSpec
from connector.sync.core.task_diff import content_hash, diff_task

STATIC_NAMESPACE = uuid.UUID("0b6f5e4e-4a8a-4c55-9a39-5a7d3c2f0e11")


def static_ref(mapping: str, code: str) -> str:
    """A stable pseudo-ref for a static category task (links are keyed by mapping + 1C ref)."""
    return str(uuid.uuid5(STATIC_NAMESPACE, f"{mapping}/{code}"))


def spec_payload(spec: TaskSpec, unmapped: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """What the task feed serves for a link (the spec as plain JSON, plus unmapped assignees)."""
    data = {name: getattr(spec, name) for name in _SPEC_FIELDS}  # flat values: no deep copy needed
    data["assignees"] = [{"email": a.email, "name": a.name, "user_ref": a.user_ref} for a in spec.assignees]
    data["unmapped_assignees"] = list(unmapped)
    data.update(spec.progress)
    return data


PROGRESS_KEYS = ("percent_done", "planned_start", "planned_finish")


def with_progress(payload: dict[str, Any] | None, spec: TaskSpec) -> dict[str, Any] | None:
    """``payload`` with the spec's progress signal, or None when the payload already has it."""
    current = dict(payload or {})
    wanted = {k: v for k, v in current.items() if k not in PROGRESS_KEYS} | dict(spec.progress)
    return None if wanted == current else wanted


_CODE_OWNERS = select(Link.task_code, Link.mapping, Link.onec_ref).where(
    Link.task_code.in_(bindparam("codes", expanding=True))
)
_SPEC_FIELDS = tuple(f.name for f in fields(TaskSpec) if f.name != "progress")


def link_state(link: Link) -> LinkState:
    """The pure core's view of a stored link."""
    status: Any = "closed" if link.status == "closed" else "open"
    return LinkState(link.task_code, link.content_hash, link.data_version, status)


class CodeChanged(ValueError):
    """An object's task code changed, or collides with another object's; the item fails."""


class LinkWriter:
    """Decides and (unless ``dry_run``) writes the link of each object of one mapping.

    Writes are buffered and go to the store in bulk on ``flush`` (one INSERT for the new links
    of a page, one block of feed numbers); the engine flushes before every commit.
    """

    def __init__(self, session: Session, mapping: str, *, dry_run: bool = False) -> None:
        self.session = session
        self.mapping = mapping
        self.dry_run = dry_run
        self._links: dict[str, Link | None] = {}
        self._codes: dict[str, tuple[str, str] | None] = {}
        self._pending: dict[str, LinkData] = {}

    def prefetch(self, refs: Iterable[str]) -> None:
        """Load the links of ``refs`` with one query per 500 refs (absent ones are remembered)."""
        wanted = [r for r in dict.fromkeys(refs) if r not in self._links]
        if not wanted:
            return
        found = links_by_ref(self.session, self.mapping, wanted)
        for ref in wanted:
            self._links[ref] = found.get(ref)

    def flush(self) -> int:
        """Write the buffered links (bulk; the links read in this transaction are not read again);
        returns how many were written."""
        if not self._pending:
            return 0
        items = list(self._pending.values())
        known = {(self.mapping, ref): self._links[ref] for ref in self._pending if ref in self._links}
        upsert_links_bulk(self.session, items, known)
        for ref in self._pending:
            self._links.pop(ref, None)
        self._pending.clear()
        return len(items)

    def forget(self) -> None:
        """Drop cached links (after a commit, to keep memory bounded on big runs)."""
        self.flush()
        self._links.clear()
        self._codes.clear()

    def prefetch_codes(self, codes: Iterable[str]) -> None:
        """Load which objects own ``codes`` (to refuse a second object rendering the same code)."""
        wanted = [c for c in set(codes) if c not in self._codes]
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = self.session.execute(_CODE_OWNERS, {"codes": chunk}).all()
            found = {code: (m, r) for code, m, r in rows}
            for code in chunk:
                self._codes[code] = found.get(code)

    def code_owner(self, code: str) -> tuple[str, str] | None:
        if code not in self._codes:
            self.prefetch_codes([code])
        return self._codes.get(code)

    def link(self, ref: str) -> Link | None:
        """The stored link of ``ref`` (buffered writes are flushed first)."""
        if ref in self._pending:
            self.flush()
        if ref not in self._links:
            self.prefetch([ref])
        return self._links.get(ref)

    def apply(
        self,
        spec: TaskSpec,
        ref: str,
        data_version: str | None,
        unmapped: Sequence[dict[str, Any]] = (),
    ) -> TaskAction:
        """Diff ``spec`` against the stored link and write what changed."""
        link = self.link(ref)
        if link is None and spec.status == "open":
            owner = self.code_owner(spec.code)
            if owner is not None and owner != (self.mapping, ref):
                raise CodeChanged(f"task code {spec.code!r} already belongs to {owner[0]}:{owner[1]}")
        if link is not None and link.task_code != spec.code:
            raise CodeChanged(
                f"the task code of {ref} would change from {link.task_code!r} to {spec.code!r}; "
                "codes must stay stable (time is matched by them)"
            )
        action = diff_task(spec, link_state(link) if link is not None else None)
        if action.kind == "unchanged":
            if link is not None and not self.dry_run:
                if link.data_version != data_version:
                    link.data_version = data_version
                payload = with_progress(link.payload, spec)
                if payload is not None:  # progress moved in 1C: the store's copy only, no tracker write
                    link.payload = payload
            return action
        if not self.dry_run:
            self._write(spec, ref, data_version, unmapped)
        return action

    def close_gone(self, ref: str, reason: str) -> TaskAction | None:
        """Close the task of an object that is gone (deleted, or out of the mapping's scope).

        None when there is no link (nothing was ever published for it)."""
        link = self.link(ref)
        if link is None:
            return None
        action = diff_task(None, link_state(link))
        if action.kind == "close":
            action = TaskAction("close", link.task_code, None, reason)
            if not self.dry_run:
                payload = dict(link.payload or {})
                payload["status"] = "closed"
                data = LinkData(
                    mapping=link.mapping,
                    onec_type=link.onec_type,
                    onec_ref=link.onec_ref,
                    task_code=link.task_code,
                    content_hash=link.content_hash,
                    data_version=link.data_version,
                    status="closed",
                    category=link.category,
                    title=link.title,
                    assignees=list(link.assignees or []),
                    planned_minutes=link.planned_minutes,
                    payload=payload,
                )
                self._pending[ref] = data
        return action

    def _write(
        self, spec: TaskSpec, ref: str, data_version: str | None, unmapped: Sequence[dict[str, Any]]
    ) -> None:
        data = LinkData(
            mapping=self.mapping,
            onec_type=spec.onec_type or "",
            onec_ref=ref,
            task_code=spec.code,
            content_hash=content_hash(spec),
            data_version=data_version,
            status=spec.status,
            category=spec.category,
            title=spec.title,
            assignees=sorted({a.email for a in spec.assignees}),
            planned_minutes=spec.planned_minutes,
            payload=spec_payload(spec, unmapped),
        )
        self._pending[ref] = data
        self._codes[spec.code] = (self.mapping, ref)

    def open_ref_pages(self, size: int = 1000) -> Iterator[list[str]]:
        """Refs of this mapping's open links, ``size`` at a time in ref order (one query per
        page, by the unique index; memory bounded by a page whatever the number of links).
        Pending writes are flushed first; a page is read after the caller handled the last."""
        self.flush()
        last = ""
        while True:
            page = list(
                self.session.execute(
                    _OPEN_REFS, {"mapping": self.mapping, "after": last, "n": size}
                ).scalars()
            )
            if not page:
                return
            yield page
            if len(page) < size:
                return
            last = page[-1]

    def versions(self, refs: Sequence[str]) -> dict[str, str]:
        """``{ref: DataVersion}`` of the links of ``refs`` ("" when a link has none); one query
        per 500 refs, no link objects built."""
        self.flush()
        out: dict[str, str] = {}
        for i in range(0, len(refs), 500):
            rows = self.session.execute(_VERSIONS, {"mapping": self.mapping, "refs": list(refs[i : i + 500])})
            out.update((ref, dv or "") for ref, dv in rows)
        return out


_OPEN_REFS = (
    select(Link.onec_ref)
    .where(Link.mapping == bindparam("mapping"), Link.onec_ref > bindparam("after"), Link.status == "open")
    .order_by(Link.onec_ref)
    .limit(bindparam("n"))
)
_VERSIONS = select(Link.onec_ref, Link.data_version).where(
    Link.mapping == bindparam("mapping"), Link.onec_ref.in_(bindparam("refs", expanding=True))
)


def unmatched_employees(session: Session) -> list[dict[str, Any]]:
    """1C users named as assignees of open tasks who could not be mapped (no e-mail, unknown or
    inactive in 1C), with the tasks they hold: what ``GET /api/unmatched-employees`` serves."""
    found: dict[str, dict[str, Any]] = {}
    rows = session.execute(select(Link.task_code, Link.payload).where(Link.status == "open")).all()
    for code, payload in rows:
        for person in (payload or {}).get("unmapped_assignees") or []:
            entry = found.setdefault(
                person["ref"],
                {
                    "onec_user_ref": person["ref"],
                    "name": person.get("name") or "",
                    "reason": person.get("reason"),
                    "task_codes": [],
                },
            )
            entry["task_codes"].append(code)
    for entry in found.values():
        entry["task_count"] = len(entry["task_codes"])
        entry["task_codes"] = sorted(entry["task_codes"])[:50]
    return sorted(found.values(), key=lambda e: (-e["task_count"], e["name"], e["onec_user_ref"]))
