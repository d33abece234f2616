"""The test harness itself: a real uvicorn on a free loopback port answers and stops."""

import requests
from fastapi import FastAPI

from testbed.servers import ThreadedServer, free_port


def test_threaded_server_answers_on_loopback_and_releases_its_port() -> None:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "да"}

    with ThreadedServer(app) as srv:
        assert requests.get(f"{srv.url}/ping", timeout=5).json() == {"pong": "да"}
    port = srv.port
    try:
        requests.get(f"http://127.0.0.1:{port}/ping", timeout=1)
        answered = True
    except requests.ConnectionError:
        answered = False
    assert not answered


def test_free_port_is_distinct_between_calls_most_of_the_time() -> None:
    ports = {free_port() for _ in range(5)}
    assert len(ports) >= 2
