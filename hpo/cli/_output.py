"""Printing records as an aligned table, JSON or CSV, the same way for every command."""

from __future__ import annotations

import csv
import datetime
import enum
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import click

FORMATS = ("table", "json", "csv")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="table",
    show_default=True,
    help="Output format. JSON and CSV give datetimes in ISO 8601 and durations in seconds.",
)

Row = Mapping[str, Any]


def echo_rows(rows: Sequence[Row], fmt: str, empty: str = "(none)") -> None:
    """Print records: a table with one line per record, a JSON list, or CSV with a header line."""
    fmt = fmt.lower()
    if fmt == "json":
        click.echo(json.dumps([_jsonable(row) for row in rows], indent=2))
    elif fmt == "csv":
        click.echo(_csv(rows), nl=False)
    elif rows:
        click.echo(_table(rows))
    else:
        click.echo(empty)


def echo_object(obj: Row, fmt: str) -> None:
    """Print one record: ``key  value`` lines (a list of records as a sub-table), a JSON object, or CSV."""
    fmt = fmt.lower()
    if fmt == "json":
        click.echo(json.dumps(_jsonable(obj), indent=2))
    elif fmt == "csv":
        click.echo(_csv([{"key": key, "value": _csv_cell(value)} for key, value in obj.items()]), nl=False)
    else:
        click.echo(_key_values(obj))


def _columns(rows: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _table(rows: Sequence[Row]) -> str:
    columns = _columns(rows)
    cells = [[_table_cell(row.get(column)) for column in columns] for row in rows]
    numeric = [all(_is_number(row.get(column)) for row in rows) for column in columns]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        padded = (v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric))
        return "  ".join(padded).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(c) for c in cells)])


def _key_values(obj: Row) -> str:
    width = max((len(key) for key in obj), default=0)
    lines = []
    for key, value in obj.items():
        if _is_records(value):
            lines.append(f"{key}:")
            lines.extend("  " + line for line in _table(value).splitlines())
        else:
            lines.append(f"{key.ljust(width)}  {_table_cell(value)}".rstrip())
    return "\n".join(lines)


def _csv(rows: Sequence[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _csv_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _table_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.timedelta):
        return f"{value.total_seconds():.3f}s"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return ",".join(_table_cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_table_cell(v)}" for k, v in value.items())
    return str(value)


def _csv_cell(value: Any) -> Any:
    value = _jsonable(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.name
    return value
