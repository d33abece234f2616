"""links: the early warning's verdict and projection, and what of them was last written to 1C

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("projected_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("written_risk", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("written_projected_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("written_projected_minutes")
        batch_op.drop_column("written_risk")
        batch_op.drop_column("projected_minutes")
        batch_op.drop_column("risk")
