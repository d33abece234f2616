"""labour: flags written to 1C per link, participant plans, customer per labour row

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("written_actual_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("written_overrun", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("participant_plans", sa.JSON(), nullable=True))
    with op.batch_alter_table("labour", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_ref", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("labour", schema=None) as batch_op:
        batch_op.drop_column("customer_ref")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("participant_plans")
        batch_op.drop_column("written_overrun")
        batch_op.drop_column("written_actual_minutes")
