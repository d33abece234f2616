"""The demo's mock command lines survive any random token, including one starting with '-'."""

from __future__ import annotations

import pytest

from connector.demo import ONEC_PASSWORD, mock_argvs
from mock_1c.cli import _parser as onec_parser
from mock_tracker.cli import _parser as tracker_parser

PORTS = {"onec": 18801, "tracker": 18802, "connector": 18803}
CONNECTOR = "http://127.0.0.1:18803"


@pytest.mark.parametrize("token", ["-starts-with-dash", "--looks-like-an-option", "plain_token"])
def test_tokens_reach_the_mocks_verbatim(token: str) -> None:
    tokens = {"admin": token, "feed": token + "f", "webhook": token + "w", "apikey": token + "k"}
    onec, tracker = mock_argvs("python", PORTS, CONNECTOR, tokens)

    t = tracker_parser().parse_args(tracker[3:])
    assert (t.api_key, t.feed_token, t.port) == (token + "k", token + "f", 18802)
    assert t.feed_url == f"{CONNECTOR}/tracker/v1/tasks"
    assert t.feed_interval == 0

    o = onec_parser().parse_args(onec[3:])
    assert (o.webhook_secret, o.password, o.port) == (token + "w", ONEC_PASSWORD, 18801)
    assert o.webhook_url == f"{CONNECTOR}/webhooks/1c"
    assert o.webhook_mode == "outbox"
