"""The web console under ``/ui/``: server-rendered pages (Jinja2) for managers and operators.

Reading works without JavaScript; the one small script (confirmations) and the stylesheet are
served from the package (no CDN). Charts are SVG drawn on the server.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from connector.api.console import auth, operate, reading

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the console's pages and static files on ``app``."""
    app.include_router(auth.router)
    app.include_router(operate.router)
    app.include_router(reading.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
