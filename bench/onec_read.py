"""Bench: stream 20,000 interests from a mock 1C through ``ODataClient`` and through bare
``requests`` in the same run; compare time, requests made and memory.

Self-contained: starts its own ``mock-1c serve --interests 20000`` on a free port. Each measured
read runs in a fresh child process so its peak RSS is its own. The last line is JSON with
``ratio`` = client time ÷ bare time (goal ≤ 1.15) and the client's peak RSS at 2,000 and 20,000
objects (goal: flat).
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENTITY_SET = "Document_CRM_Интерес"
USER, PASSWORD = "Интегратор", "s3cret"
PAGE = 1000
TOTAL = 20_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_bare(base: str, limit: int) -> int:
    """The same keyset read as the client does, with nothing but requests and json."""
    from urllib.parse import quote

    session = requests.Session()
    session.auth = HTTPBasicAuth(USER.encode(), PASSWORD.encode())
    root = f"{base}/odata/standard.odata/{quote(ENTITY_SET)}"
    seen, last = 0, None
    while True:
        flt = f"&$filter={quote(f'Ref_Key gt guid{chr(39)}{last}{chr(39)}', safe=chr(39))}" if last else ""
        url = f"{root}?$format=json&$orderby=Ref_Key&$top={PAGE}{flt}"
        resp = session.get(url, headers={"Accept": "application/json"}, timeout=60)
        resp.raise_for_status()
        page = resp.json()["value"]
        seen += len(page)
        if len(page) < PAGE or seen >= limit:
            break
        last = page[-1]["Ref_Key"]
    return min(seen, limit)


def read_client(base: str, limit: int) -> int:
    from connector.onec.client import ODataClient

    seen = 0
    with ODataClient(
        base, USER, PASSWORD, timezone="Europe/Moscow", page_size=PAGE, rate_limit=1000
    ) as client:
        for _ in client.iter_entities(ENTITY_SET):
            seen += 1
            if seen >= limit:
                break
    return min(seen, limit)


def child(kind: str, base: str, limit: int) -> None:
    import connector.onec.client  # noqa: F401  (import time is not read time)

    t0 = time.perf_counter()
    n = (read_client if kind == "client" else read_bare)(base, limit)
    print(json.dumps({"objects": n, "seconds": time.perf_counter() - t0, "rss_mb": _peak_rss_mb()}))


def run_child(kind: str, base: str, limit: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, base, str(limit)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def stats(admin: str) -> dict[str, Any]:
    return dict(requests.get(f"{admin}/stats", timeout=10).json())


def requests_made(before: dict[str, Any], after: dict[str, Any]) -> int:
    key = "total" if isinstance(after.get("total"), int) else None
    return int(after[key]) - int(before[key]) if key else -1


def main() -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/crm"
    admin = f"http://127.0.0.1:{port}/_mock"
    mock = Path(sys.executable).parent / "mock-1c"
    log = tempfile.NamedTemporaryFile(prefix="bench-mock1c-", suffix=".log", delete=False)
    argv = [
        str(mock),
        "serve",
        "--port",
        str(port),
        "--interests",
        str(TOTAL),
        "--user",
        USER,
        "--password",
        PASSWORD,
    ]
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                sys.exit(f"mock-1c exited: see {log.name}")
            try:
                requests.get(f"{admin}/stats", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    sys.exit("mock-1c did not start in time")
                time.sleep(0.2)
        run_child("bare", base, PAGE)  # warm-up: the mock's first read builds its indexes
        results: dict[str, dict[str, Any]] = {}
        for kind in ("bare", "client") * 3:  # best of three each, alternated: the box is shared
            before = stats(admin)
            r = run_child(kind, base, TOTAL)
            r["requests"] = requests_made(before, stats(admin))
            if kind not in results or r["seconds"] < results[kind]["seconds"]:
                results[kind] = r
        small = run_child("client", base, 2_000)
        for kind, r in results.items():
            print(
                f"{kind:6s}: {r['objects']} objects in {r['seconds']:.2f}s = "
                f"{r['objects'] / r['seconds']:.0f} obj/s, "
                f"{r['requests']} requests, peak RSS {r['rss_mb']:.1f} MB"
            )
        print(
            f"client peak RSS: {small['rss_mb']:.1f} MB at 2,000 objects, "
            f"{results['client']['rss_mb']:.1f} MB at 20,000"
        )
        print("(the client's extra request is IBSession: finish when it closes its 1C session)")
        ratio = results["client"]["seconds"] / results["bare"]["seconds"]
        print(
            json.dumps(
                {
                    "bench": "onec_read",
                    "objects": results["client"]["objects"],
                    "client_objects_per_s": round(
                        results["client"]["objects"] / results["client"]["seconds"]
                    ),
                    "bare_objects_per_s": round(results["bare"]["objects"] / results["bare"]["seconds"]),
                    "client_requests": results["client"]["requests"],
                    "bare_requests": results["bare"]["requests"],
                    "rss_mb_2000": round(small["rss_mb"], 1),
                    "rss_mb_20000": round(results["client"]["rss_mb"], 1),
                    "ratio": round(ratio, 3),
                }
            )
        )
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
