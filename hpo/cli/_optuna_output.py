"""Output of the Optuna-named commands in Optuna's formats (``-f value|json|table|yaml``, ``--flatten``).

Records are built as Optuna's CLI builds them: keys ``(column, nested key)``, e.g. ``("params", "x")``,
``("values", 0)`` or ``("number", "")``, so that a script that reads ``optuna trials -f json`` reads
``hpo trials -f json`` unchanged. YAML is written here (block style, keys sorted as PyYAML's
``safe_dump`` sorts them), so that PyYAML is not needed.
"""

from __future__ import annotations

import collections
import datetime
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from hpo.study import Study
from hpo.trial import FrozenTrial, TrialState

F = TypeVar("F", bound=Callable[..., Any])
Column = tuple[str, Any]  # (attribute, nested key: "" for none, a parameter name, or an objective index)
Record = dict[Column, Any]

FORMATS = ("value", "json", "table", "yaml")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TRIAL_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs", "state")


def format_options(default: str) -> Callable[[F], F]:
    """``-f/--format value|json|table|yaml`` and ``--flatten``, as in Optuna's CLI."""

    def decorate(func: F) -> F:
        func = click.option("--flatten", is_flag=True, help="Flatten nested columns such as params and user_attrs.")(
            func
        )
        return click.option(
            "-f", "--format", "fmt", type=click.Choice(FORMATS), default=default, show_default=True,
            help="Output format.",
        )(func)

    return decorate


def trial_records(study: Study, trials: Sequence[FrozenTrial] | None = None) -> tuple[list[Record], list[Column]]:
    """Records of ``trials`` (default: all) with the columns of ``optuna trials``, and those columns in order."""
    multi = len(study.directions) > 1
    attrs = tuple("values" if multi and attr == "value" else attr for attr in TRIAL_ATTRS)
    columns: dict[str, set[Column]] = collections.defaultdict(set)
    records = []
    for trial in study.get_trials(deepcopy=False) if trials is None else trials:
        record: Record = {}
        for attr in attrs:
            value = trial.values if attr == "values" else getattr(trial, attr)
            if isinstance(value, TrialState):
                value = value.name
            if attr == "values":
                nested: dict[Any, Any] = dict(enumerate(value if value is not None else [None] * len(study.directions)))
            elif isinstance(value, dict):
                nested = value
            else:
                nested = {"": value}
            for key, item in nested.items():
                record[(attr, key)] = item
                columns[attr].add((attr, key))
        records.append(record)
    return records, [column for attr in attrs for column in sorted(columns[attr])]


def echo_records(records: Record | list[Record], columns: list[Column], fmt: str, flatten: bool) -> None:
    """Print one record (an object) or a list of them, as ``optuna`` prints them."""
    rows, header = _convert(records if isinstance(records, list) else [records], columns, flatten)
    if fmt == "value":
        text = "\n".join(" ".join("" if row.get(c) is None else str(row[c]) for c in header) for row in rows).strip()
    elif fmt == "table":
        text = _table(rows, header).strip()
    elif fmt == "json":
        text = json.dumps(rows if isinstance(records, list) else rows[0])
    else:
        text = "\n".join(_yaml(rows if isinstance(records, list) else rows[0]))
    click.echo(text)


def _format_value(value: Any) -> Any:
    """A value as Optuna's CLI prints it: numbers and None as they are, datetimes formatted, others as str."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, (list, tuple)):
        return type(value)(_format_value(v) for v in value)
    if isinstance(value, dict):
        return {_format_value(k): _format_value(v) for k, v in value.items()}
    return str(value)


def _convert(records: list[Record], columns: list[Column], flatten: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Records as plain dicts: nested columns as dicts and lists, or, with ``flatten``, as ``params_x`` keys."""
    if flatten:
        return _flatten(records, columns)
    header = list(dict.fromkeys(name for name, _ in columns))
    rows = []
    for record in records:
        row: dict[str, Any] = {name: {} for name in header}
        for name, nested in columns:
            if (name, nested) not in record:
                continue
            value = _format_value(record[(name, nested)])
            if isinstance(nested, int):  # objective index: a list
                if row[name] == {}:
                    row[name] = []
                row[name] += [None] * max(nested + 1 - len(row[name]), 0)
                row[name][nested] = value
            elif nested != "":
                row[name][nested] = value
            else:
                row[name] = value
        rows.append(row)
    return rows, header


def _flatten(records: list[Record], columns: list[Column]) -> tuple[list[dict[str, Any]], list[str]]:
    """``params_x``, ``values_0`` ... keys; a list in a column of its own (a study's directions) spread likewise."""
    lists = {c for c in columns if c[1] == "" and any(isinstance(r.get(c), (list, tuple)) for r in records)}
    header: list[str] = []
    for name, nested in columns:
        if (name, nested) in lists:
            length = max(len(r[(name, nested)]) for r in records if (name, nested) in r)
            header.extend(f"{name}_{i}" for i in range(length))
        else:
            header.append(name if nested == "" else f"{name}_{nested}")
    rows = []
    for record in records:
        row: dict[str, Any] = {}
        for name, nested in columns:
            if (name, nested) not in record:
                continue
            value = _format_value(record[(name, nested)])
            if (name, nested) in lists:
                row.update({f"{name}_{i}": v for i, v in enumerate(value)})
            else:
                row[name if nested == "" else f"{name}_{nested}"] = value
        rows.append(row)
    return rows, header


def _table(rows: list[dict[str, Any]], header: list[str]) -> str:
    """Optuna's ``+---+`` table: a column of numbers (and empty cells) right-aligned, others left-aligned."""
    cells = [[row.get(name) for name in header] for row in rows]
    separator, title, lines = "+", "|", ["|" for _ in rows]
    for i, name in enumerate(header):
        column = [line[i] for line in cells]
        numeric = all(v is None or isinstance(v, (int, float)) for v in column)
        width = max([len(name), *(len(str(v)) for v in column)])
        separator += "-" * (width + 2) + "+"
        title += f" {name:>{width}} |" if numeric else f" {name:<{width}} |"
        for j, value in enumerate(column):
            text = "" if value is None else str(value)
            lines[j] += f" {text:>{width}} |" if numeric else f" {text:<{width}} |"
    return "\n".join([separator, title, separator, *lines, separator])


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _yaml(value: Any, indent: str = "") -> list[str]:
    """``value`` (dicts, lists and scalars) as block-style YAML lines."""
    if isinstance(value, dict) and value:
        lines = []
        for key in sorted(value):
            item = value[key]
            if _is_block(item):
                lines.append(f"{indent}{_yaml_key(key)}:")
                lines.extend(_yaml(item, indent if isinstance(item, (list, tuple)) else indent + "  "))
            else:
                lines.append(f"{indent}{_yaml_key(key)}: {_yaml_scalar(item)}")
        return lines
    if isinstance(value, (list, tuple)) and value:
        lines = []
        for item in value:
            nested = _yaml(item, indent + "  ") if _is_block(item) else [indent + "  " + _yaml_scalar(item)]
            lines.append(f"{indent}- {nested[0][len(indent) + 2:]}")
            lines.extend(nested[1:])
        return lines
    return [indent + _yaml_scalar(value)]


def _is_block(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple)) and bool(value)


def _yaml_key(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_KEY.fullmatch(text) and text.lower() not in _YAML_WORDS else json.dumps(text)


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        mantissa, e, exponent = repr(value).partition("e")
        return f"{mantissa if '.' in mantissa else mantissa + '.0'}{e}{exponent}"  # 1e-05 is a string to YAML 1.1
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return json.dumps(str(value))
