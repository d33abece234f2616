"""Memory benchmark (self-contained): peak RSS of ``onec-bridge sync tasks`` from small to large seeds.

For each ``--scales`` value a fresh ``mock-1c serve --scale S`` and a fresh SQLite store are
started; the connector runs as a real subprocess configured only through ``ONEC_BRIDGE_*``
variables, exactly as a deployment would run it. Its peak RSS is the kernel's own figure for that
one child (``os.wait4`` → ``ru_maxrss``), so neither the mock nor this script is counted. A bare
``python -c "import ..."`` of the same modules is measured too: the fixed cost of the interpreter
and libraries, which no seed size changes.

The last line is JSON with ``flat_ratio`` = peak RSS at the largest scale ÷ at the smallest
(target ≤ 1.25). ``--profile SCALE`` instead runs one sync in-process under ``tracemalloc`` and
prints the top allocation sites at the peak — what to read when the figure is not flat.

    .venv/bin/python bench/memory_scale.py [--scales small,medium,large] [--smoke] [--profile large]

Figures (2026-11-26, 2-core box at load 0.1-0.5, SQLite store, default page size 1,000; peak RSS
small / medium / large, imports alone ≈ 72 MB):
- before (tree ``8236baa``: whole expanded references in every row, read-ahead holding up to
  three pages): 92.3 / 108.5 / 118.6 MB, ``flat_ratio`` 1.285;
- expanded references narrowed to the fields the mapping reads (``$select=Партнер/Description,
  Состояние/Завершен`` and ``Owner/Code,Owner/Description``; a 1,000-object page of service
  interests 1.73 → 1.35 MB of JSON, 3.5 → 2.8 MB decoded; of project tasks 1.89 → 1.18 MB,
  3.9 → 2.7 MB), read-ahead still three pages: 92.4 / 105.1 / 113.6 MB, ratio 1.230;
- both, read-ahead bounded to two pages (the one applied and the one read): 92.1 / 105.1 /
  111.6 MB, ``flat_ratio`` 1.212 (target ≤ 1.25: met). What still grows from medium to large is
  the page buffer's share of a full page and the ``seen`` set of refs of a full read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testbed.mock1c import MockOneC, running_mock_1c  # noqa: E402
from testbed.servers import script  # noqa: E402

IMPORTS = "import connector.cli, connector.runtime, connector.sync.inbound.engine, connector.onec.client"


def env_for(mock: MockOneC, store: Path) -> dict[str, str]:
    """The settings a deployment sets; no tracker key: ``sync tasks`` only reads 1C and writes the store."""
    return {
        **os.environ,
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{store}",
        "ONEC_BRIDGE_ONEC_URL": mock.base_url,
        "ONEC_BRIDGE_ONEC_USER": mock.user,
        "ONEC_BRIDGE_ONEC_PASSWORD": mock.password,
        "ONEC_BRIDGE_ONEC_RATE_LIMIT": "10000",
        "ONEC_BRIDGE_MAPPINGS_DIR": str(ROOT / "mappings"),
        "ONEC_BRIDGE_LOG_FORMAT": "json",
    }


def peak_rss(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``argv``; its own peak RSS in MB (kernel accounting of that child), seconds, exit code, output."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return usage.ru_maxrss / 1024, seconds, proc.returncode, text


def measure(scale: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, running_mock_1c(scale=scale) as mock:
        env = env_for(mock, Path(tmp) / "store.db")
        subprocess.run([script("onec-bridge"), "db", "upgrade"], env=env, check=True, capture_output=True)
        mock.reset_stats()
        rss, seconds, code, text = peak_rss([script("onec-bridge"), "sync", "tasks"], env)
        requests_made = int(mock.stats().get("total", -1))
        con = sqlite3.connect(Path(tmp) / "store.db")
        links = int(con.execute("select count(*) from links").fetchone()[0])
        con.close()
    if code != 0:
        sys.exit(f"onec-bridge sync tasks failed at scale {scale} (exit {code}):\n{text[-3000:]}")
    return {"scale": scale, "rss_mb": rss, "seconds": seconds, "links": links, "requests": requests_made}


def profile(scale: str, top: int) -> None:
    """One ``sync tasks`` in this process under tracemalloc; print the allocation sites at the peak.

    A sampling thread takes a snapshot whenever the traced total reaches a new high, so the sites
    printed are those live at the peak (a snapshot after the run would only show what survived it).
    """
    import threading
    import tracemalloc

    best: dict[str, Any] = {"size": 0, "snapshot": None, "mapping": None}
    current_mapping = {"name": ""}
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(0.2):
            size, _ = tracemalloc.get_traced_memory()
            if size > best["size"] + (1 << 20):
                best.update(size=size, snapshot=tracemalloc.take_snapshot(), mapping=current_mapping["name"])

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, running_mock_1c(scale=scale) as mock:
        os.environ.update(env_for(mock, Path(tmp) / "store.db"))
        from connector.cli import open_runtime
        from connector.settings import Settings
        from connector.sync.inbound.engine import InboundEngine

        runtime = open_runtime(Settings())
        engine = InboundEngine(runtime)
        tracemalloc.start(10)
        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        for m in runtime.mappings:
            current_mapping["name"] = m.name
            tracemalloc.reset_peak()
            result = engine.run(m.name, trigger="manual")
            print(
                f"mapping {m.name}: traced peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MB, "
                f"{result.counters.get('created', 0)} created"
            )
        done.set()
        thread.join()
        runtime.close()
        tracemalloc.stop()
    print(f"ru_maxrss of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")
    snapshot = best["snapshot"]
    if snapshot is None:
        return
    snapshot = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    print(f"live at the sampled peak ({best['size'] / 2**20:.1f} MB traced, mapping {best['mapping']}):")
    for stat in snapshot.statistics("lineno")[:top]:
        print(f"  {stat.size / 2**20:7.2f} MB {stat.count:7d} blocks  {stat.traceback[0]}")
    print("the same, grouped by the innermost project frame of each allocation:")
    grouped: dict[str, list[int]] = {}
    for trace in snapshot.traces:
        frames = [
            f for f in trace.traceback if f.filename.startswith(str(ROOT)) and ".venv" not in f.filename
        ]
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "(no project frame)"
        grouped.setdefault(where, [0, 0])
        grouped[where][0] += trace.size
        grouped[where][1] += 1
    for where, (size, count) in sorted(grouped.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"  {size / 2**20:7.2f} MB {count:7d} blocks  {where}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--scales", default="small,medium,large", help="comma-separated mock-1c --scale values")
    ap.add_argument("--smoke", action="store_true", help="small scale only (for tests)")
    ap.add_argument("--profile", metavar="SCALE", help="tracemalloc one in-process sync at SCALE")
    ap.add_argument("--top", type=int, default=12, help="allocation sites printed by --profile")
    args = ap.parse_args()
    scales = ["small"] if args.smoke else [s.strip() for s in args.scales.split(",") if s.strip()]
    bad = [
        s for s in scales + ([args.profile] if args.profile else []) if s not in ("small", "medium", "large")
    ]
    if bad or not scales:
        ap.error(f"scales are small, medium, large (got {', '.join(bad) or 'none'})")
    if args.profile:
        profile(args.profile, args.top)
        return
    imports, _, code, text = peak_rss([sys.executable, "-c", IMPORTS], dict(os.environ))
    if code != 0:
        sys.exit(f"importing the connector failed:\n{text[-2000:]}")
    print(f"interpreter + connector imports alone: peak RSS {imports:.1f} MB")
    rows = [measure(s) for s in scales]
    for r in rows:
        print(
            f"{r['scale']:6s}: peak RSS {r['rss_mb']:.1f} MB, {r['links']} task links, "
            f"{r['requests']} requests to 1C, {r['seconds']:.1f} s"
        )
    figures: dict[str, Any] = {"bench": "memory_scale", "imports_rss_mb": round(imports, 1)}
    for r in rows:
        figures[f"rss_mb_{r['scale']}"] = round(r["rss_mb"], 1)
        figures[f"links_{r['scale']}"] = r["links"]
    figures["flat_ratio"] = round(rows[-1]["rss_mb"] / rows[0]["rss_mb"], 3)
    figures["target"] = 1.25
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
