"""``mock-tracker serve``: run a mock tracker account (Bitcop, Kimai or Clockify dialect) on HTTP.

Bad options end with a one-line error and exit status 2, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import uvicorn

from mock_tracker.account import Account
from mock_tracker.app import KINDS, create_app
from mock_tracker.config import MockConfig
from mock_tracker.persist import SnapshotError, SnapshotStore

_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock-tracker", description="A mock time tracker: Bitcop, Kimai or Clockify dialect."
    )
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
        help="requests per second (per credential) the published API answers before 429; 0 = no limit",
    )
    serve.add_argument(
        "--retry-after",
        default="none",
        help="seconds sent in Retry-After with a 429, or 'none' (default: no header)",
    )
    serve.add_argument(
        "--users-file",
        default=None,
        help='JSON list of {"email", "name"}: tracker users present at start (kimai, clockify)',
    )
    serve.add_argument(
        "--api-user-email", default="admin@tracker.example", help="e-mail of the user owning the API key"
    )
    serve.add_argument("--kimai-auth", default="both", choices=["bearer", "x-auth", "both"])
    serve.add_argument("--kimai-user", default="admin", help="Kimai user name of the API user (X-AUTH-USER)")
    serve.add_argument(
        "--kimai-version", default="2.66.0", help="Kimai version served; e-mails in the API from 2.45.0 on"
    )
    serve.add_argument(
        "--clockify-workspace", default="64a687e29ae1f428e7eb0001", help="Clockify workspace id"
    )
    serve.add_argument(
        "--clockify-oversize-page",
        default="reject",
        choices=["reject", "clamp"],
        help="a page size over Clockify's maximum (5000; 1000 for reports): 400, or clamp",
    )
    serve.add_argument("--clockify-report-running", default="include", choices=["include", "exclude"])
    serve.add_argument("--clockify-report-times", default="offset", choices=["offset", "utc"])
    serve.add_argument("--clockify-task-put", default="replace", choices=["replace", "merge"])
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
    retry_after: int | None = None
    if args.retry_after != "none":
        if not args.retry_after.isdigit():
            parser.error("--retry-after must be a whole number of seconds or 'none'")
        retry_after = int(args.retry_after)
    if not _VERSION.match(args.kimai_version):
        parser.error("--kimai-version must look like 2.45.0")
    if not re.fullmatch(r"[0-9a-f]{24}", args.clockify_workspace):
        parser.error("--clockify-workspace must be 24 lowercase hex digits")
    if "@" not in args.api_user_email:
        parser.error("--api-user-email must be an e-mail address")
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
        retry_after=retry_after,
        api_user_email=args.api_user_email,
        kimai_auth=args.kimai_auth,
        kimai_user=args.kimai_user,
        kimai_version=args.kimai_version,
        clockify_workspace=args.clockify_workspace,
        clockify_oversize_page=args.clockify_oversize_page,
        clockify_report_running=args.clockify_report_running,
        clockify_report_times=args.clockify_report_times,
        clockify_task_put=args.clockify_task_put,
    )


def read_users_file(path: str) -> list[tuple[str, str | None]]:
    """``[{"email": …, "name": …}]`` → [(email, name)]; ValueError naming the problem."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ValueError(f"--users-file: cannot read {path} ({exc.strerror})") from None
    except ValueError:
        raise ValueError(f"--users-file: {path} is not JSON") from None
    if not isinstance(data, list):
        raise ValueError("--users-file: expected a JSON list of {email, name}")
    people: list[tuple[str, str | None]] = []
    for n, item in enumerate(data):
        email = item.get("email") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(email, str) or "@" not in email or not (name is None or isinstance(name, str)):
            raise ValueError(f"--users-file: item {n} needs an e-mail (and an optional name)")
        people.append((email.strip(), name))
    return people


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = config_from_args(args, parser)
    people: list[tuple[str, str | None]] = []
    if args.users_file:
        try:
            people = read_users_file(args.users_file)
        except ValueError as exc:
            parser.error(str(exc))
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        store = SnapshotStore(config.db) if config.db else None
        account = Account(config.seed, config.tz, store, config.shares, follow_plan=config.follow_plan)
    except SnapshotError as exc:
        print(f"mock-tracker: {exc}", file=sys.stderr)
        return 2
    if people:
        account.add_users(people)
    app = create_app(config, account)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
