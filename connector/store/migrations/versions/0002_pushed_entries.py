"""pushed time entries (tracker push intake)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pushed_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("employee_email", sa.String(length=320), nullable=True),
        sa.Column("tracker_employee_id", sa.String(length=100), nullable=True),
        sa.Column("task_code", sa.String(length=200), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_pushed_entries_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pushed_entries")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_pushed_entries_entry_id")),
    )
    with op.batch_alter_table("pushed_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pushed_entries_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pushed_entries_start_at"), ["start_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pushed_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pushed_entries_start_at"))
        batch_op.drop_index(batch_op.f("ix_pushed_entries_employee_id"))
    op.drop_table("pushed_entries")
