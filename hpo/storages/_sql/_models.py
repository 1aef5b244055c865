"""The SQL schema: SQLAlchemy declarative models, normalized like Optuna's.

Floats that SQL cannot hold portably (infinities, NaN) are stored as NULL with a ``value_type``.
Attribute values are JSON text. Every foreign key column has an index. The migrations in
``migrations/versions`` create exactly this schema; ``tests/storage/test_sql_specific.py`` checks it.
"""

from __future__ import annotations

import datetime
import enum
import math

from sqlalchemy import DateTime, Double, Enum, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hpo.records import StudyDirection, TrialState

MAX_NAME_LENGTH = 512
"""Longest study name, parameter name or attribute key."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# MySQL's DATETIME drops fractions of a second unless asked to keep them.
DATETIME = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


class ValueType(enum.Enum):
    """How a stored float is to be read: the ``value`` column, or a constant it cannot hold."""

    FINITE = 1
    INF_POS = 2
    INF_NEG = 3
    NAN = 4


def encode_value(value: float) -> tuple[float | None, ValueType]:
    """Split a float into the ``(value, value_type)`` columns."""
    if math.isnan(value):
        return None, ValueType.NAN
    if math.isinf(value):
        return None, ValueType.INF_POS if value > 0 else ValueType.INF_NEG
    return float(value), ValueType.FINITE


def decode_value(value: float | None, value_type: ValueType) -> float:
    """The float that :func:`encode_value` split."""
    if value_type == ValueType.FINITE:
        assert value is not None
        return value
    return {ValueType.INF_POS: math.inf, ValueType.INF_NEG: -math.inf, ValueType.NAN: math.nan}[value_type]


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as the member's name in a VARCHAR: no native enum types to migrate.
    return Enum(cls, native_enum=False, create_constraint=False, length=16)


class BaseModel(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StudyModel(BaseModel):
    __tablename__ = "studies"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused: caches key on them

    study_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), unique=True, nullable=False)
    next_trial_number: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class StudyDirectionModel(BaseModel):
    __tablename__ = "study_directions"
    __table_args__ = (UniqueConstraint("study_id", "objective"),)

    study_direction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.study_id"), index=True, nullable=False)
    objective: Mapped[int] = mapped_column(Integer, nullable=False)
    direction: Mapped[StudyDirection] = mapped_column(_enum(StudyDirection), nullable=False)


class StudyUserAttributeModel(BaseModel):
    __tablename__ = "study_user_attributes"
    __table_args__ = (UniqueConstraint("study_id", "key"),)

    study_user_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.study_id"), index=True, nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)


class StudySystemAttributeModel(BaseModel):
    __tablename__ = "study_system_attributes"
    __table_args__ = (UniqueConstraint("study_id", "key"),)

    study_system_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.study_id"), index=True, nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)


class TrialModel(BaseModel):
    __tablename__ = "trials"
    __table_args__ = (UniqueConstraint("study_id", "number"), {"sqlite_autoincrement": True})

    trial_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.study_id"), index=True, nullable=False)
    state: Mapped[TrialState] = mapped_column(_enum(TrialState), nullable=False)
    datetime_start: Mapped[datetime.datetime | None] = mapped_column(DATETIME, nullable=True)
    datetime_complete: Mapped[datetime.datetime | None] = mapped_column(DATETIME, nullable=True)


class TrialParamModel(BaseModel):
    __tablename__ = "trial_params"
    __table_args__ = (UniqueConstraint("trial_id", "param_name"),)

    param_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), index=True, nullable=False)
    param_name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    param_value: Mapped[float] = mapped_column(Double, nullable=False)  # the internal representation
    distribution_json: Mapped[str] = mapped_column(Text, nullable=False)


class TrialValueModel(BaseModel):
    __tablename__ = "trial_values"
    __table_args__ = (UniqueConstraint("trial_id", "objective"),)

    trial_value_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), index=True, nullable=False)
    objective: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(Double, nullable=True)
    value_type: Mapped[ValueType] = mapped_column(_enum(ValueType), nullable=False)


class TrialIntermediateValueModel(BaseModel):
    __tablename__ = "trial_intermediate_values"
    __table_args__ = (UniqueConstraint("trial_id", "step"),)

    trial_intermediate_value_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), index=True, nullable=False)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    intermediate_value: Mapped[float | None] = mapped_column(Double, nullable=True)
    intermediate_value_type: Mapped[ValueType] = mapped_column(_enum(ValueType), nullable=False)


class TrialUserAttributeModel(BaseModel):
    __tablename__ = "trial_user_attributes"
    __table_args__ = (UniqueConstraint("trial_id", "key"),)

    trial_user_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), index=True, nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)


class TrialSystemAttributeModel(BaseModel):
    __tablename__ = "trial_system_attributes"
    __table_args__ = (UniqueConstraint("trial_id", "key"),)

    trial_system_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), index=True, nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)


class TrialHeartbeatModel(BaseModel):
    """The last heartbeat of a running trial, in seconds since the epoch by the database's clock.

    Written and compared only by the database's own clock, so clocks of the machines running trials
    and their time zones never matter.
    """

    __tablename__ = "trial_heartbeats"

    trial_heartbeat_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), unique=True, index=True, nullable=False)
    heartbeat: Mapped[float] = mapped_column(Double, nullable=False)
