"""Trial heartbeats: the last sign of life of each running trial, by the database's clock.

Revision ID: hpo_0002
Revises: hpo_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hpo_0002"
down_revision = "hpo_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trial_heartbeats",
        sa.Column("trial_heartbeat_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("heartbeat", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"], name=op.f("fk_trial_heartbeats_trial_id_trials")),
        sa.PrimaryKeyConstraint("trial_heartbeat_id", name=op.f("pk_trial_heartbeats")),
    )
    op.create_index(op.f("ix_trial_heartbeats_trial_id"), "trial_heartbeats", ["trial_id"], unique=True)


def downgrade() -> None:
    op.drop_table("trial_heartbeats")
