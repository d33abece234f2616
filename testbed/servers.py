"""Real servers on loopback for tests: free ports, subprocesses and threaded uvicorn.

Integration tests talk HTTP to the mocks and the connector exactly as deployments do, so
every server here is a real uvicorn on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import requests
import uvicorn


def _repo_root() -> Path:
    """The source tree (editable install or a checkout), else the working directory: the mappings
    and examples the test bed reads are the repository's, not the installed package's."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "mappings").is_dir() else Path.cwd()


REPO_ROOT = _repo_root()
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers any HTTP status; fail with the server's log otherwise."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            requests.get(url, timeout=1.0)
            return
        except requests.RequestException as exc:  # not up yet
            last = exc
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


class ServerProcess:
    """A server started as a subprocess (console script or ``python -m``), logs kept in a file."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        ready_url: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.argv = list(argv)
        self.ready_url = ready_url
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd or REPO_ROOT
        self.timeout = timeout
        self.log = Path(tempfile.mkstemp(prefix="server-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=fh, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd
        )
        try:
            wait_until_up(self.ready_url, self.timeout, self.proc)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n--- server log ---\n{self.output()}") from exc
        return self

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (crash simulation)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def script(name: str) -> str:
    """Path of a console script installed in the running virtualenv."""
    path = VENV_BIN / name
    return str(path) if path.exists() else name


class ThreadedServer:
    """An ASGI app served by a real uvicorn in a background thread on a free port."""

    def __init__(self, app: Any, port: int | None = None, ready_path: str = "/") -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.ready_path = ready_path

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("threaded uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@contextlib.contextmanager
def threaded(app: Any) -> Iterator[ThreadedServer]:
    with ThreadedServer(app) as srv:
        yield srv
