"""More chaos: 1C down for a while, and webhooks delivered three times and out of order."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.api.webhooks import SIGNATURE_HEADER, sign
from tests.e2e.harness import INTEREST, TOKENS, ChaosLoop, poll
from tests.e2e.test_chaos_loop import converge


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[ChaosLoop]:
    chaos = ChaosLoop(tmp_path, seed=13)
    try:
        chaos.start_onec()
        chaos.start_tracker()
        chaos.start_connector()
        yield chaos
    finally:
        chaos.close()


def readyz(loop: ChaosLoop) -> tuple[int, dict[str, Any]]:
    resp = requests.get(f"{loop.connector_url}/readyz", timeout=30)
    return resp.status_code, resp.json()


def run_onec_down(loop: ChaosLoop, days: int, down_cycles: int) -> None:
    first = date.today() - timedelta(days=days + 1)
    last = first + timedelta(days=days - 1)
    poll(lambda: loop.cli("sync", "tasks") == 0, 120, what="first inbound sync")
    poll(loop.tracker_sync_feed, 60, what="first feed import")
    loop.simulate(first, days)
    interests_before = len(loop.onec_entities(INTEREST))
    for _ in range(down_cycles):
        loop.stop_onec()
        status, body = readyz(loop)
        assert status == 503 and "onec" in body["failed"], body
        assert loop.cli("sync", "labour") != 0, "a labour run with 1C down must not report success"
        assert loop.cli("sync", "tasks") != 0, "an inbound run with 1C down must not report success"
        loop.start_onec()
        poll(lambda: readyz(loop)[0] == 200, 60, what="ready again")
    assert len(loop.onec_entities(INTEREST)) == interests_before, "1C lost data across its restart"
    converge(loop, first, last, deadline_s=240)


@pytest.mark.chaos_long  # 20 s of 1C down and back: behind `make chaos`, which CI runs too
def test_onec_down_then_catch_up(loop: ChaosLoop) -> None:
    run_onec_down(loop, days=2, down_cycles=1)


@pytest.mark.chaos_long
def test_onec_down_then_catch_up_long(loop: ChaosLoop) -> None:
    run_onec_down(loop, days=7, down_cycles=3)


def post_event(loop: ChaosLoop, ref: str, version: str) -> int:
    body = json.dumps({"type": INTEREST, "Ref_Key": ref, "DataVersion": version}).encode()
    headers = {SIGNATURE_HEADER: sign(body, TOKENS["webhook"]), "Content-Type": "application/json"}
    return requests.post(
        f"{loop.connector_url}/webhooks/1c", data=body, headers=headers, timeout=30
    ).status_code


def run_webhook_storm(loop: ChaosLoop, objects: int, seed: int) -> None:
    rng = random.Random(seed)
    users = loop.onec_entities("Catalog_Пользователи", **{"$top": "3"})
    refs: list[str] = []
    for n in range(objects):
        body = {
            "from": f"storm{n}@chaos.example",
            "subject": f"storm {n}",
            "text": "x",
            "Ответственный_Key": users[n % len(users)]["Ref_Key"],
        }
        resp = requests.post(f"{loop.onec_root}/_mock/emails", json=body, timeout=30)
        resp.raise_for_status()
        refs.append(resp.json()["Ref_Key"])
    versions: dict[str, list[str]] = {r: [] for r in refs}
    for ref in refs:
        old = loop.onec_entities(INTEREST, **{"$filter": f"Ref_Key eq guid'{ref}'"})[0]
        versions[ref].append(old["DataVersion"])
        patched = requests.patch(
            f"{loop.onec_root}/_mock/objects/{INTEREST}/{ref}",
            json={"Тема": f"renamed {ref[:8]}"},
            timeout=30,
        )
        patched.raise_for_status()
        new = loop.onec_entities(INTEREST, **{"$filter": f"Ref_Key eq guid'{ref}'"})[0]
        assert new["DataVersion"] != old["DataVersion"]
        versions[ref].append(new["DataVersion"])
    events = [(ref, v) for ref, vs in versions.items() for v in vs] * 3
    rng.shuffle(events)
    events.sort(key=lambda e: versions[e[0]].index(e[1]), reverse=True)  # newest first: out of order
    for ref, version in events:
        assert post_event(loop, ref, version) == 202
    numbers = {i["Ref_Key"]: i["Number"].strip() for i in loop.onec_entities(INTEREST)}
    wanted = {f"SRV-{numbers[r]}" for r in refs}

    def titles() -> dict[str, list[str]]:
        resp = requests.get(
            f"{loop.connector_url}/tracker/v1/tasks",
            params={"status": "all", "limit": "1000"},
            headers={"Authorization": f"Bearer {TOKENS['feed']}"},
            timeout=30,
        )
        out: dict[str, list[str]] = {}
        for item in resp.json()["items"]:
            out.setdefault(item["code"], []).append(item["title"])
        return out

    poll(
        lambda: all(any("renamed" in t for t in titles().get(c, [])) for c in wanted),
        120,
        what="webhook-driven tasks with their latest titles",
    )
    final = titles()
    assert [c for c in wanted if len(final[c]) != 1] == [], "one task per object"
    codes = Counter(loop.feed_codes(status="all"))
    assert [c for c, n in codes.items() if n > 1] == []


def test_webhooks_three_times_and_out_of_order(loop: ChaosLoop) -> None:
    run_webhook_storm(loop, objects=3, seed=1)


@pytest.mark.chaos_long
def test_webhooks_three_times_and_out_of_order_long(loop: ChaosLoop) -> None:
    run_webhook_storm(loop, objects=20, seed=2)
