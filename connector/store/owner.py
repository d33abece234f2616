"""Which process owns a run, and whether that process still lives.

An owner reads ``host/pid-namespace/pid/start-time``: the PID namespace tells two containers
sharing a host name apart, the start time tells a process from a later one that reused its
PID. Only a process on the same host and in the same namespace can be judged (dead or alive);
for any other the answer is "unknown" and the run's heartbeat decides.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


@functools.cache
def _identity(pid: int) -> str:
    return f"{socket.gethostname()}/{_pid_namespace()}/{pid}/{_start_time(pid) or '-'}"


def process_owner() -> str:
    """This process, as stored in ``runs.owner`` (at most 200 characters)."""
    return _identity(os.getpid())[:200]


def owner_alive(owner: str) -> bool | None:
    """True/False for a process of this host and PID namespace; None when it cannot be told."""
    parts = owner.rsplit("/", 3)
    if len(parts) != 4:
        return None
    host, namespace, pid_text, started = parts
    if host != socket.gethostname() or namespace != _pid_namespace() or namespace == "-":
        return None
    try:
        pid = int(pid_text)
    except ValueError:
        return None
    now_started = _start_time(pid)
    if now_started is None:
        return False  # no such process
    return started == "-" or now_started == started
