"""The initial schema: studies, trials, and their directions, parameters, values and attributes.

Revision ID: hpo_0001
Revises:
Create Date: 2026-11-22

A migration is a frozen snapshot: it spells out its types instead of importing hpo's models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "hpo_0001"
down_revision = None
branch_labels = None
depends_on = None

_NAME = sa.String(length=512)
_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def _enum(name: str, *members: str) -> sa.Enum:
    return sa.Enum(*members, name=name, native_enum=False, length=16)


def _value_type() -> sa.Enum:
    return _enum("valuetype", "FINITE", "INF_POS", "INF_NEG", "NAN")


def _child_table(table: str, parent: str, parent_key: str, *columns: sa.Column, unique: tuple[str, ...]) -> None:
    """A table whose rows belong to a row of ``parent``, with an index on the foreign key."""
    op.create_table(
        table,
        *columns,
        sa.ForeignKeyConstraint(
            [parent_key], [f"{parent}.{parent_key}"], name=op.f(f"fk_{table}_{parent_key}_{parent}")
        ),
        sa.PrimaryKeyConstraint(columns[0].name, name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(*unique, name=op.f(f"uq_{table}_{'_'.join(unique)}")),
    )
    op.create_index(op.f(f"ix_{table}_{parent_key}"), table, [parent_key], unique=False)


def _attribute_table(table: str, parent: str, parent_key: str, id_column: str) -> None:
    _child_table(
        table,
        parent,
        parent_key,
        sa.Column(id_column, sa.Integer(), nullable=False),
        sa.Column(parent_key, sa.Integer(), nullable=False),
        sa.Column("key", _NAME, nullable=False),
        sa.Column("value_json", sa.Text(), nullable=False),
        unique=(parent_key, "key"),
    )


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("study_name", _NAME, nullable=False),
        sa.Column("next_trial_number", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_studies")),
        sa.UniqueConstraint("study_name", name=op.f("uq_studies_study_name")),
        sqlite_autoincrement=True,
    )
    _child_table(
        "study_directions",
        "studies",
        "study_id",
        sa.Column("study_direction_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("direction", _enum("studydirection", "NOT_SET", "MINIMIZE", "MAXIMIZE"), nullable=False),
        unique=("study_id", "objective"),
    )
    _attribute_table("study_user_attributes", "studies", "study_id", "study_user_attribute_id")
    _attribute_table("study_system_attributes", "studies", "study_id", "study_system_attribute_id")

    op.create_table(
        "trials",
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column(
            "state", _enum("trialstate", "RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"), nullable=False
        ),
        sa.Column("datetime_start", _DATETIME, nullable=True),
        sa.Column("datetime_complete", _DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["study_id"], ["studies.study_id"], name=op.f("fk_trials_study_id_studies")),
        sa.PrimaryKeyConstraint("trial_id", name=op.f("pk_trials")),
        sa.UniqueConstraint("study_id", "number", name=op.f("uq_trials_study_id_number")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_trials_study_id"), "trials", ["study_id"], unique=False)
    _child_table(
        "trial_params",
        "trials",
        "trial_id",
        sa.Column("param_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("param_name", _NAME, nullable=False),
        sa.Column("param_value", sa.Double(), nullable=False),
        sa.Column("distribution_json", sa.Text(), nullable=False),
        unique=("trial_id", "param_name"),
    )
    _child_table(
        "trial_values",
        "trials",
        "trial_id",
        sa.Column("trial_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("value_type", _value_type(), nullable=False),
        unique=("trial_id", "objective"),
    )
    _child_table(
        "trial_intermediate_values",
        "trials",
        "trial_id",
        sa.Column("trial_intermediate_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("intermediate_value", sa.Double(), nullable=True),
        sa.Column("intermediate_value_type", _value_type(), nullable=False),
        unique=("trial_id", "step"),
    )
    _attribute_table("trial_user_attributes", "trials", "trial_id", "trial_user_attribute_id")
    _attribute_table("trial_system_attributes", "trials", "trial_id", "trial_system_attribute_id")


def downgrade() -> None:
    for table in (
        "trial_system_attributes",
        "trial_user_attributes",
        "trial_intermediate_values",
        "trial_values",
        "trial_params",
        "trials",
        "study_system_attributes",
        "study_user_attributes",
        "study_directions",
        "studies",
    ):
        op.drop_table(table)
