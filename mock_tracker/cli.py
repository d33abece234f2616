"""``mock-tracker serve``: run a Bitcop-like account on HTTP.

Bad options end with a one-line error and exit status 2, never a stack trace.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import uvicorn

from mock_tracker.account import Account
from mock_tracker.app import KINDS, create_app
from mock_tracker.config import MockConfig
from mock_tracker.persist import SnapshotError, SnapshotStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mock-tracker", description="A mock Bitcop-like time tracker.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the published API and the /_mock admin endpoints")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8802)
    serve.add_argument(
        "--kind",
        default="bitcop",
        choices=KINDS,
        help="the published API to serve: bitcop (read-only, imports the task feed), kimai or clockify",
    )
    serve.add_argument(
        "--rate-limit",
        type=float,
        default=0.0,
        help="requests per second the published API answers before 429 with Retry-After; 0 = no limit",
    )
    serve.add_argument(
        "--api-key", required=True, help="the account's API key (Bitcop apikey, Kimai token, Clockify key)"
    )
    serve.add_argument("--feed-url", default=None, help="the connector's task feed, e.g. …/tracker/v1/tasks")
    serve.add_argument("--feed-token", default="", help="Bearer token for the task feed")
    serve.add_argument(
        "--feed-interval", type=float, default=60.0, help="seconds between feed polls; 0 = never"
    )
    serve.add_argument("--seed", type=int, default=42, help="seed of the simulated work")
    serve.add_argument("--timezone", default="Europe/Moscow", help="the account's time zone (local days)")
    serve.add_argument("--db", default=None, help="SQLAlchemy URL keeping state across restarts")
    serve.add_argument(
        "--public-url", default=None, help="base of screenshot URLs (default http://host:port)"
    )
    serve.add_argument(
        "--follow-plan",
        action="store_true",
        help="simulated work follows each task's planned time (most tasks end at 70-98 %% of the "
        "plan, about one in six runs over); by default work is spread over the tasks regardless",
    )
    serve.add_argument(
        "--work-shares",
        default="",
        help="shares of the day for tasks without a plan, e.g. SALES-COMMERCIAL=60,SALES-BREAK=10 "
        "(codes not named get 1; default: equal shares)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser


def parse_shares(text: str) -> dict[str, float]:
    """``CODE=weight,CODE=weight`` → {code: weight}; ValueError naming the bad item."""
    shares: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        code, sep, weight = item.partition("=")
        try:
            value = float(weight)
        except ValueError:
            value = -1.0
        if not sep or not code.strip() or not value > 0:
            raise ValueError(f"--work-shares: {item!r} is not CODE=positive number")
        shares[code.strip()] = value
    return shares


def config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> MockConfig:
    """Validate the options; ``parser.error`` exits with status 2 and a readable message."""
    try:
        tz = ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        parser.error(f"unknown time zone: {args.timezone}")
    if not args.api_key:
        parser.error("--api-key must not be empty")
    if not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535")
    if args.rate_limit < 0:
        parser.error("--rate-limit must be >= 0")
    if args.feed_interval < 0:
        parser.error("--feed-interval must be >= 0")
    try:
        shares = parse_shares(args.work_shares)
    except ValueError as exc:
        parser.error(str(exc))
    if args.feed_url and not args.feed_url.startswith(("http://", "https://")):
        parser.error("--feed-url must be an http(s) URL")
    # A wildcard bind is not an address a client can open; screenshot URLs name loopback instead.
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    public = (args.public_url or f"http://{host}:{args.port}").rstrip("/")
    return MockConfig(
        api_key=args.api_key,
        seed=args.seed,
        tz=tz,
        public_url=public,
        feed_url=args.feed_url,
        feed_token=args.feed_token,
        feed_interval=args.feed_interval,
        db=args.db,
        shares=shares,
        follow_plan=args.follow_plan,
        kind=args.kind,
        rate_limit=args.rate_limit,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = config_from_args(args, parser)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        store = SnapshotStore(config.db) if config.db else None
        account = Account(config.seed, config.tz, store, config.shares, follow_plan=config.follow_plan)
    except SnapshotError as exc:
        print(f"mock-tracker: {exc}", file=sys.stderr)
        return 2
    app = create_app(config, account)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
