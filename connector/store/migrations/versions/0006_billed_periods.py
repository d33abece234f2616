"""billed_periods: a customer's labour billed through a day stays as invoiced

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billed_periods",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_ref", sa.String(length=36), nullable=False),
        sa.Column("customer", sa.String(length=300), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billed_periods")),
        sa.UniqueConstraint("customer_ref", "last_day", name=op.f("uq_billed_periods_customer_ref_last_day")),
    )
    op.create_index(op.f("ix_billed_periods_customer_ref"), "billed_periods", ["customer_ref"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_billed_periods_customer_ref"), table_name="billed_periods")
    op.drop_table("billed_periods")
