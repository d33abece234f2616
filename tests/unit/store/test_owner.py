"""Telling a live run owner from a dead one: host, PID namespace, PID and start time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from connector.store.owner import owner_alive, process_owner


def test_this_process_is_alive() -> None:
    owner = process_owner()
    assert owner.startswith(socket.gethostname() + "/")
    assert owner.split("/")[-2] == str(os.getpid())
    assert owner_alive(owner) is True


def test_an_ended_process_of_this_host_is_dead() -> None:
    host, namespace, _pid, started = process_owner().rsplit("/", 3)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert owner_alive(f"{host}/{namespace}/{child.pid}/{started}") is False


def test_a_reused_pid_is_not_the_same_process() -> None:
    host, namespace, pid, started = process_owner().rsplit("/", 3)
    assert owner_alive(f"{host}/{namespace}/{pid}/{int(started) + 1}") is False


def test_other_hosts_namespaces_and_garbage_cannot_be_told() -> None:
    host, namespace, pid, started = process_owner().rsplit("/", 3)
    assert owner_alive(f"another-{host}/{namespace}/{pid}/{started}") is None
    assert owner_alive(f"{host}/1{namespace}/{pid}/{started}") is None
    assert owner_alive("not an owner") is None
    assert owner_alive(f"{host}/{namespace}/not-a-pid/{started}") is None
