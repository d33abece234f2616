"""Inbound reads over real HTTP ask 1C only for the fields of expanded references the mapping
reads: every page of the service mapping's full read carries ``$select=…,Партнер/Description,
Состояние/Завершен`` and the expanded objects in 1C's answers hold only those fields; a read by
refs (webhooks, the exchange plan) does the same. The tasks are exactly those the whole objects
give: one per service interest, titled with the partner's name (or the no-partner text) and
closed when the interest's state is final."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from connector.runtime import Runtime
from connector.sync.inbound.engine import InboundEngine
from testbed.mock1c import MockOneC
from tests.integration.inbound.helpers import admin_patch, links, onec_objects

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
INTERESTS = "Document_CRM_Интерес"
SERVICE = "ВидИнтереса eq 'Сервис' and DeletionMark eq false"


class Recorder:
    """Every 1C answer to a read of ``INTERESTS``: its decoded query options and JSON body."""

    def __init__(self, runtime: Runtime) -> None:
        self.reads: list[tuple[dict[str, str], dict[str, Any]]] = []
        runtime.onec.http.session.hooks["response"].append(self.record)

    def record(self, resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        parts = urlsplit(resp.url)
        if unquote(parts.path).endswith("/" + INTERESTS) and resp.status_code == 200:
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            self.reads.append((query, json.loads(resp.content)))

    def pages(self) -> list[tuple[dict[str, str], dict[str, Any]]]:
        """Reads that expand references (not the ``Ref_Key``-only checks)."""
        return [(q, body) for q, body in self.reads if q.get("$expand")]


def _expected(onec: MockOneC) -> dict[str, tuple[str, str, str]]:
    """Task code → (ref, title, status) of every service interest, from whole objects with whole
    expanded references. A closed interest that never had a task gets none."""
    url = f"{onec.odata_url}/{INTERESTS}?$format=json&$expand=Партнер,Состояние"
    objs = {o["Ref_Key"]: o for o in onec.session().get(url, timeout=30).json()["value"]}
    out: dict[str, tuple[str, str, str]] = {}
    for row in onec_objects(onec, INTERESTS, SERVICE):
        obj = objs[row["Ref_Key"]]
        number = obj["Number"].rstrip()
        partner = obj["Партнер"]["Description"].rstrip() if obj.get("Партнер") else "без контрагента"
        closed = bool(obj.get("Состояние") and obj["Состояние"]["Завершен"])
        title = f"[{number}] {partner}: {obj['Тема'].rstrip()}"
        out[f"SRV-{number}"] = (obj["Ref_Key"], title, "closed" if closed else "open")
    return out


def _open_tasks(expected: dict[str, tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    return {code: (title, status) for code, (_, title, status) in expected.items() if status == "open"}


def _stored(runtime: Runtime) -> dict[str, tuple[str, str]]:
    return {code: (link.title, link.status) for code, link in links(runtime, "service").items()}


def _check_narrowed(pages: list[tuple[dict[str, str], dict[str, Any]]]) -> int:
    objects = 0
    for query, body in pages:
        select = [s.strip() for s in query["$select"].split(",")]
        assert "Партнер/Description" in select and "Состояние/Завершен" in select, select
        assert "Партнер" not in select and "Состояние" not in select
        for obj in body["value"]:
            objects += 1
            if obj.get("Партнер") is not None:
                assert set(obj["Партнер"]) == {"Description"}, obj["Партнер"]
            if obj.get("Состояние") is not None:
                assert set(obj["Состояние"]) == {"Завершен"}, obj["Состояние"]
    return objects


def test_full_read_asks_for_nav_fields_only_and_gives_the_expected_tasks(
    onec: MockOneC, runtime: Runtime
) -> None:
    before = _expected(onec)
    no_partner = next(ref for ref, _, status in before.values() if status == "open")
    admin_patch(onec, INTERESTS, no_partner, {"Партнер_Key": EMPTY_REF})
    recorder = Recorder(runtime)

    result = InboundEngine(runtime).run("service", trigger="full")
    assert result.status == "ok", result.error

    pages = recorder.pages()
    assert len(pages) >= 2, "the small page size makes the full read take several pages"
    # only the interests that can be open tasks are read: 1C filters out the closed ones
    assert _check_narrowed(pages) == len(_open_tasks(before))
    assert any(obj.get("Партнер") is None for _, body in pages for obj in body["value"])
    expected = _expected(onec)
    assert {status for _, _, status in expected.values()} == {"open", "closed"}
    assert _stored(runtime) == _open_tasks(expected)
    titles = {ref: title for ref, title, _ in expected.values()}
    assert "] без контрагента: " in titles[no_partner]


def test_a_read_by_refs_asks_for_nav_fields_only(onec: MockOneC, runtime: Runtime) -> None:
    engine = InboundEngine(runtime)
    assert engine.run("service", trigger="full").status == "ok"
    refs = [ref for ref, _, status in _expected(onec).values() if status == "open"][:3]
    for ref in refs:
        admin_patch(onec, INTERESTS, ref, {"Тема": f"Новая тема {ref[:8]}"})
    recorder = Recorder(runtime)

    result = engine.run("service", trigger="manual", refs=refs)
    assert result.status == "ok", result.error

    assert _check_narrowed(recorder.pages()) == 3
    expected = _expected(onec)
    assert _stored(runtime) == _open_tasks(expected)
    titles = {ref: title for ref, title, _ in expected.values()}
    assert all(titles[ref].endswith(f": Новая тема {ref[:8]}") for ref in refs)
