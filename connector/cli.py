"""The ``onec-bridge`` command line. Commands stay thin: they call functions of other modules.

Exit codes: 0 success, 1 the work failed (e.g. invalid mappings), 2 bad settings or usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from connector.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Bridge between 1C:CRM and time trackers.")
db_app = typer.Typer(no_args_is_help=True, help="The connector's state store.")
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (never a traceback for expected errors)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment/.env; bad values exit 2 with one line per variable and the fix."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "ONEC_BRIDGE_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        fail("\n".join(lines), 2)


@app.command()
def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="mapping directory (default: ONEC_BRIDGE_MAPPINGS_DIR)")
    ] = None,
    online: Annotated[bool, typer.Option("--online", help="check against the live 1C $metadata")] = False,
    schema: Annotated[bool, typer.Option("--schema", help="print the mapping JSON Schema and exit")] = False,
) -> None:
    """Check mapping files: syntax, schema, templates, fields, duplicates (exit 1 on problems)."""
    from connector.mapping import MappingError, mapping_json_schema
    from connector.mapping.validate import load_loaded

    if schema:
        typer.echo(json.dumps(mapping_json_schema(), ensure_ascii=False, indent=2))
        return
    settings = load_settings()
    target = directory or settings.mappings_dir
    sets = None
    if online:
        from connector.mapping.online import OnlineMetadataError, fetch_entity_sets

        try:
            sets = fetch_entity_sets(settings)
        except OnlineMetadataError as exc:
            fail(str(exc), 1)
    try:
        files = load_loaded(target, sets)
    except MappingError as exc:
        fail(str(exc), 1)
    against = "the 1C $metadata" if online else "the built-in 1C:CRM model"
    for f in files:
        typer.echo(f"ok  {f.path}  ({f.mapping.name}, {f.mapping.category})")
    typer.echo(f"{len(files)} mapping file(s) valid against {against}")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
) -> None:
    """Create or upgrade the store's tables (ONEC_BRIDGE_DATABASE_URL) with the packaged migrations."""
    from sqlalchemy.exc import SQLAlchemyError

    from connector.store.db import StoreUrlError, normalize_url
    from connector.store.migrate import upgrade

    settings = load_settings()
    try:
        normalize_url(settings.database_url)
        reached = upgrade(settings.database_url, revision)
    except StoreUrlError as exc:
        fail(str(exc), 2)
    except SQLAlchemyError as exc:
        fail(f"database upgrade failed ({type(exc).__name__}): {str(exc).splitlines()[0]}", 1)
    typer.echo(f"database at revision {reached}")


def main() -> None:
    """Console entry point ``onec-bridge``."""
    app()
