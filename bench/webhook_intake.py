"""Webhook intake benchmark (self-contained): the connector's ``POST /webhooks/1c`` vs a bare endpoint.

Two servers, each a real uvicorn in its own subprocess on a free loopback port, so neither shares
the client's interpreter:

* **connector** — ``connector.api.app.create_app`` around a Runtime on a fresh SQLite store
  (packaged migrations applied, the example mappings); no inbox worker runs, so only intake is timed;
* **bare** — a FastAPI endpoint doing the minimum the contract needs: verify the HMAC, parse the
  JSON, ``INSERT OR IGNORE`` one row into a SQLite table (WAL, unique type+ref+DataVersion), commit.

The client fires ``--requests`` signed webhooks (distinct Ref_Keys, ``--duplicates`` share of exact
repeats) from ``--threads`` threads at each server, ``--rounds`` times alternated (best round
kept: the 2-core box is shared), and checks that every answer is 202 and that each server accepted
exactly the distinct events. The last line is JSON with ``ratio`` = connector p99 ÷ bare p99 and
``throughput_ratio`` = connector req/s ÷ bare req/s.

    .venv/bin/python bench/webhook_intake.py [--requests 2000] [--threads 8] [--rounds 2] [--smoke]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "webhook-secret-for-connector-tests"  # testbed.connector_app.WEBHOOK_SECRET
TYPE = "Document_CRM_Интерес"
HEADER = "X-Onec-Signature"


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


# --- servers (run in a child process: ``--serve KIND --port P --db PATH``) ---------------------------


def bare_app(db: Path) -> FastAPI:
    """The minimum intake: HMAC check, JSON parse, one INSERT OR IGNORE and a commit per request."""
    init = sqlite3.connect(db)
    init.execute("PRAGMA journal_mode=WAL")
    init.execute(
        "create table if not exists inbox (id integer primary key, type text, ref text, "
        "data_version text, received_at real, unique (type, ref, data_version))"
    )
    init.commit()
    init.close()
    local = threading.local()
    app = FastAPI()

    def store(event: dict[str, Any]) -> bool:
        con = getattr(local, "con", None)
        if con is None:
            con = local.con = sqlite3.connect(db, check_same_thread=False)
        cur = con.execute(
            "insert or ignore into inbox (type, ref, data_version, received_at) values (?, ?, ?, ?)",
            (event["type"], event["Ref_Key"], event["DataVersion"], time.time()),
        )
        con.commit()
        return cur.rowcount == 1

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/1c", status_code=202)
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        given = request.headers.get(HEADER, "").encode()
        if not hmac.compare_digest(given, sign(body).encode()):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        created = await run_in_threadpool(store, json.loads(body))
        return JSONResponse({"status": "accepted" if created else "duplicate"}, status_code=202)

    return app


def connector_app(db: Path) -> Any:
    from connector.api.app import create_app
    from testbed.connector_app import make_runtime

    return create_app(make_runtime(f"sqlite:///{db}"))


def serve(kind: str, port: int, db: Path) -> None:
    import uvicorn

    app = connector_app(db) if kind == "connector" else bare_app(db)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- client ------------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    accepted: int

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[max(0, min(len(xs) - 1, math.ceil(q * len(xs)) - 1))]


def make_bodies(n: int, duplicates: float, seed: int) -> tuple[list[bytes], int]:
    """``n`` webhook bodies: distinct Ref_Keys plus ``duplicates`` share of exact repeats, shuffled."""
    rnd = random.Random(seed)
    distinct = n - int(n * duplicates)
    bodies = [
        json.dumps(
            {
                "type": TYPE,
                "Ref_Key": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "DataVersion": f"AAAAA{i:07d}=",
                "event": "write",
            },
            ensure_ascii=False,
        ).encode()
        for i in range(distinct)
    ]
    bodies += [rnd.choice(bodies) for _ in range(n - distinct)]
    rnd.shuffle(bodies)
    return bodies, distinct


def fire(kind: str, url: str, bodies: list[bytes], threads: int) -> Result:
    """POST every body once from ``threads`` threads (one keep-alive session each)."""
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted = 0

    def worker() -> None:
        nonlocal accepted
        session = requests.Session()
        mine: list[float] = []
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            body = bodies[i]
            headers = {HEADER: sign(body), "Content-Type": "application/json"}
            t0 = time.perf_counter()
            resp = session.post(url, data=body, headers=headers, timeout=60)
            took = time.perf_counter() - t0
            with lock:
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
                if resp.status_code == 202:
                    mine.append(took)
                    accepted += resp.json().get("status") == "accepted"
        with lock:
            latencies.extend(mine)
        session.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return Result(kind, time.perf_counter() - started, latencies, statuses, accepted)


def start_server(kind: str, db: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    from testbed.servers import free_port, wait_until_up

    port = free_port()
    log = Path(tempfile.mkstemp(prefix=f"bench-{kind}-", suffix=".log")[1])
    argv = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--db", str(db)]
    with log.open("ab") as fh:
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", 120, proc)
    except Exception:
        stop(proc)
        sys.exit(
            f"the {kind} server did not start; its log: {log}\n{log.read_text(errors='replace')[-2000:]}"
        )
    return proc, url, log


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(15)


def run(n: int, threads: int, rounds: int, duplicates: float) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    servers = {kind: start_server(kind, tmp / f"{kind}.db") for kind in ("connector", "bare")}
    best: dict[str, Result] = {}
    try:
        for kind, (_, url, _) in servers.items():  # warm-up: first requests import and open things
            fire(kind, f"{url}/webhooks/1c", make_bodies(min(100, n), 0.0, seed=999)[0], threads)
        for r in range(rounds):
            bodies, distinct = make_bodies(n, duplicates, seed=r)
            order = ("connector", "bare") if r % 2 == 0 else ("bare", "connector")
            for kind in order:
                res = fire(kind, f"{servers[kind][1]}/webhooks/1c", bodies, threads)
                if res.statuses != {202: n} or res.accepted != distinct:
                    sys.exit(
                        f"{kind}: expected {n} × 202 with {distinct} accepted, "
                        f"got {res.statuses} with {res.accepted} accepted (log: {servers[kind][2]})"
                    )
                if kind not in best or res.pct(0.99) < best[kind].pct(0.99):
                    best[kind] = res
    finally:
        for proc, _, _ in servers.values():
            stop(proc)
    c, b = best["connector"], best["bare"]
    for res in (c, b):
        print(
            f"{res.kind:9s}: {len(res.latencies)} webhooks in {res.seconds:.2f} s = {res.rps:.0f} req/s, "
            f"p50 {res.pct(0.5) * 1000:.1f} ms, p99 {res.pct(0.99) * 1000:.1f} ms (202 answers)"
        )
    return {
        "bench": "webhook_intake",
        "requests": n,
        "threads": threads,
        "duplicates": int(n * duplicates),
        "connector_rps": round(c.rps, 1),
        "bare_rps": round(b.rps, 1),
        "connector_p50_ms": round(c.pct(0.5) * 1000, 1),
        "connector_p99_ms": round(c.pct(0.99) * 1000, 1),
        "bare_p50_ms": round(b.pct(0.5) * 1000, 1),
        "bare_p99_ms": round(b.pct(0.99) * 1000, 1),
        "ratio": round(c.pct(0.99) / b.pct(0.99), 2),
        "throughput_ratio": round(c.rps / b.rps, 2),
        "nproc": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--requests", type=int, default=2000, help="webhooks per server and round")
    ap.add_argument("--threads", type=int, default=8, help="client threads")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per server (best p99 kept)")
    ap.add_argument("--duplicates", type=float, default=0.1, help="share of exact repeats (0..0.9)")
    ap.add_argument("--smoke", action="store_true", help="a tiny run (60 webhooks, 1 round) for tests")
    ap.add_argument("--serve", choices=("connector", "bare"), help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        if args.port is None or args.db is None:
            ap.error("--serve needs --port and --db")
        serve(args.serve, args.port, args.db)
        return
    if args.requests < 1 or args.threads < 1 or args.rounds < 1 or not 0 <= args.duplicates <= 0.9:
        ap.error("--requests, --threads and --rounds must be ≥ 1 and --duplicates within 0..0.9")
    if args.smoke:
        args.requests, args.rounds, args.threads = 60, 1, 4
    print(json.dumps(run(args.requests, args.threads, args.rounds, args.duplicates)))


if __name__ == "__main__":
    main()
