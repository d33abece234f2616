from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from connector.store.db import make_engine
from connector.store.migrate import current_revision, head_revision, upgrade
from connector.store.models import Base


def test_empty_database_upgrades_to_head_without_drift_from_the_models(store_url: str) -> None:
    assert current_revision(store_url) is None
    assert upgrade(store_url) == head_revision()
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(store_url: str) -> None:
    upgrade(store_url)
    assert upgrade(store_url) == head_revision()


def test_libpq_style_postgresql_url_is_accepted(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    assert upgrade(plain) == head_revision()
