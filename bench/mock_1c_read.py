"""Paged JSON reads from the mock 1C: 20,000 interests, $top=1000, with $filter and $select.

Starts ``mock-1c serve --scale large`` on a free port, pages through the service interests and
all interests, prints objects/s and the server's peak RSS; the last line is one JSON object.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests
from requests.auth import HTTPBasicAuth

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def page_through(session: requests.Session, base: str, flt: str, select: str) -> tuple[int, float]:
    start, n, skip = time.perf_counter(), 0, 0
    while True:
        q = f"$format=json&$top=1000&$skip={skip}&$select={quote(select)}&$orderby=Ref_Key"
        if flt:
            q += "&$filter=" + quote(flt, safe="'")
        r = session.get(f"{base}/{quote('Document_CRM_Интерес')}?{q}", timeout=120)
        r.raise_for_status()
        got = len(r.json()["value"])
        n += got
        skip += 1000
        if got < 1000:
            return n, time.perf_counter() - start


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set so far (Linux ``VmHWM``), without psutil."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise SystemExit(f"no VmHWM for process {pid}: this benchmark reads Linux's /proc")


def main() -> int:
    port = free_port()
    argv = [str(BIN / "mock-1c"), "serve", "--port", str(port), "--scale", "large", "--seed", "42"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/crm/odata/standard.odata"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("mock-1c did not start") from None
                time.sleep(0.1)
        s = requests.Session()
        s.auth = HTTPBasicAuth("Интегратор".encode(), b"s3cret")
        peak = 0
        figures = {}
        for name, flt in (("all", "DeletionMark eq false"), ("service", "ВидИнтереса eq 'Сервис'")):
            n, secs = page_through(
                s, base, flt, "Ref_Key, DataVersion, Number, Date, Тема, Партнер_Key, Состояние_Key"
            )
            peak = max(peak, peak_rss_bytes(proc.pid))
            figures[f"{name}_objects"] = n
            figures[f"{name}_objects_per_s"] = round(n / secs)
            print(f"{name}: {n} interests in {secs:.2f}s = {n / secs:,.0f} objects/s")
        figures["server_peak_rss_mb"] = round(peak / 2**20, 1)
        print(f"server peak RSS: {figures['server_peak_rss_mb']} MB")
        print(json.dumps(figures))
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
