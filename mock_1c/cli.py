"""``mock-1c serve …``: run the mock 1C:CRM server (uvicorn) with a seeded or restored base."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mock_1c.config import MockConfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mock-1c", description="Mock 1C:CRM (OData, SOAP labour service, change feed)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the mock base over HTTP")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8801)
    s.add_argument("--infobase", default="crm")
    s.add_argument("--user", default="Интегратор")
    s.add_argument("--password", default="s3cret")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--scale", choices=("small", "medium", "large"), default="small")
    for name in ("interests", "projects", "tasks", "users"):
        s.add_argument(f"--{name}", type=int, default=None, help=f"number of {name} (overrides --scale)")
    s.add_argument("--max-sessions", type=int, default=20)
    s.add_argument(
        "--session-timeout",
        type=float,
        default=1200.0,
        help="seconds after which the server ends an idle IBSession (0 = never)",
    )
    s.add_argument("--db", default=None, help="sqlite:///path to keep the base across restarts")
    s.add_argument("--faults", default="", help='e.g. "error_rate=0.2,latency_ms=40"')
    s.add_argument("--fault-seed", type=int, default=0)
    s.add_argument("--webhook-url", default=None)
    s.add_argument("--webhook-secret", default="")
    s.add_argument("--webhook-mode", choices=("sync", "outbox"), default="sync")
    s.add_argument("--webhook-types", default="", help="comma list of entity sets (default: all published)")
    s.add_argument(
        "--without",
        default="",
        help="pieces of the 1C-side kit this base lacks, comma list: extension, closing-date, "
        "exchange-plan, web-service, field:<Set>.<Field>, field:<Set>.<Table>.<Field>",
    )
    s.add_argument("--log-level", default="warning")
    return p


def config_from_args(args: argparse.Namespace) -> MockConfig:
    return MockConfig(
        infobase=args.infobase,
        user=args.user,
        password=args.password,
        seed=args.seed,
        scale=args.scale,
        interests=args.interests,
        projects=args.projects,
        tasks=args.tasks,
        users=args.users,
        max_sessions=args.max_sessions,
        session_timeout=args.session_timeout or None,
        db=args.db,
        faults=args.faults,
        fault_seed=args.fault_seed,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        webhook_mode=args.webhook_mode,
        webhook_types=tuple(t.strip() for t in args.webhook_types.split(",") if t.strip()),
        without=tuple(t.strip() for t in args.without.split(",") if t.strip()),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.session_timeout < 0:
        parser.error("--session-timeout must be 0 (never) or a positive number of seconds")
    import uvicorn

    from mock_1c.app import create_app

    try:
        app = create_app(config_from_args(args))
    except ValueError as exc:
        print(f"mock-1c: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
