"""A real ``mock-1c serve`` subprocess for tests: ``running_mock_1c(**cli_options)`` and ``mock_1c``.

Options are the CLI flags with underscores (``max_sessions=2``, ``faults="error_rate=0.1"``);
``True`` passes a bare flag, ``None`` omits it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from testbed.servers import ServerProcess, free_port, script

DEFAULTS: dict[str, Any] = {
    "seed": 42,
    "scale": "small",
    "user": "Интегратор",
    "password": "s3cret",
    "infobase": "crm",
}


@dataclass
class MockOneC:
    base_url: str
    odata_url: str
    admin_url: str
    user: str
    password: str
    process: ServerProcess

    @property
    def auth(self) -> HTTPBasicAuth:
        """Basic auth with UTF-8 bytes (requests would encode str credentials as latin-1)."""
        return HTTPBasicAuth(self.user.encode("utf-8"), self.password.encode("utf-8"))

    def session(self) -> requests.Session:
        s = requests.Session()
        s.auth = self.auth
        s.headers["Accept"] = "application/json"
        return s

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.admin_url}/stats", timeout=10).json()

    def reset_stats(self) -> None:
        requests.post(f"{self.admin_url}/reset-stats", timeout=10).raise_for_status()


@contextlib.contextmanager
def running_mock_1c(**cli_options: Any) -> Iterator[MockOneC]:
    opts = {**DEFAULTS, **cli_options}
    port = int(opts.pop("port", None) or free_port())
    argv = [script("mock-1c"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    for name, value in opts.items():
        if value is None or value is False:
            continue
        argv.append("--" + name.replace("_", "-"))
        if value is not True:
            argv.append(str(value))
    root = f"http://127.0.0.1:{port}"
    proc = ServerProcess(argv, ready_url=f"{root}/_mock/health")
    with proc:
        ib = opts["infobase"]
        yield MockOneC(
            base_url=f"{root}/{ib}",
            odata_url=f"{root}/{ib}/odata/standard.odata",
            admin_url=f"{root}/_mock",
            user=opts["user"],
            password=opts["password"],
            process=proc,
        )
