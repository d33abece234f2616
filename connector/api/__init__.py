"""The connector's HTTP API: ``create_app(runtime)`` and the shared dependencies in ``deps``."""

from connector.api.app import create_app

__all__ = ["create_app"]
