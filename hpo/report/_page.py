"""The report's HTML: one page with plotly.js, the figures, the tables, the CSS and the JavaScript inline."""

from __future__ import annotations

import datetime
import html
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hpo.records import StudyDirection, TrialState
from hpo.report._assets import CSS, JS
from hpo.report._figures import Figure, Importances
from hpo.trial import FrozenTrial
from hpo.version import __version__

#: Pareto-front trials listed in the best trials section at most.
MAX_BEST_LISTED = 100
_URL = re.compile(r"(https?):(//)", re.IGNORECASE)


@dataclass(frozen=True)
class PageContent:
    """What the page shows, gathered by :func:`hpo.report.build_report`."""

    title: str
    study_name: str
    directions: list[StudyDirection]
    names: list[str]
    trials: list[FrozenTrial]
    best: list[FrozenTrial]
    study_user_attrs: dict[str, Any]
    importance: Importances
    figures: list[Figure]
    table: list[FrozenTrial]
    notices: list[str]
    table_note: str | None


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def offline(text: str) -> str:
    """``text`` with ``http(s)://`` written ``http(s):\\/\\/``: the same string in JavaScript and JSON, but no
    address a browser or a scanner of the file could take for an external resource."""
    return _URL.sub(r"\1:\\/\\/", text)


def script_json(value: Any) -> str:
    """``value`` as JSON safe inside ``<script>``: no ``</script>``, no ``<!--``, no URLs."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return offline(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _cell(value: Any) -> Any:
    """A JSON-safe table cell: non-finite floats as ``"Infinity"``, ``"-Infinity"``, ``"NaN"`` strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _shown(value: Any) -> str:
    """A value as the page prints it: floats exactly (``repr``), others as JSON where they can be."""
    if isinstance(value, float):
        return repr(value)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except ValueError:
        return str(value)


def _duration(trial: FrozenTrial) -> float | None:
    duration = trial.duration
    return None if duration is None else round(duration.total_seconds(), 3)


def _when(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(sep=" ", timespec="seconds")


def table_data(trials: Sequence[FrozenTrial], names: Sequence[str]) -> dict[str, Any]:
    """The trials table: ``columns`` (key, label, kind) and ``rows`` (one list of cells per trial)."""
    params: dict[str, None] = {}
    for trial in trials:
        params.update(dict.fromkeys(trial.params))
    value_keys = ["value"] if len(names) == 1 else [f"value{i}" for i in range(len(names))]
    columns = [{"key": "number", "label": "Number", "kind": "number"},
               {"key": "state", "label": "State", "kind": "text"}]
    columns += [{"key": key, "label": name, "kind": "number"} for key, name in zip(value_keys, names)]
    columns += [{"key": name, "label": name, "kind": "param"} for name in params]
    columns += [{"key": "duration", "label": "Duration (s)", "kind": "number"},
                {"key": "datetime_start", "label": "Started", "kind": "text"}]
    rows = []
    for trial in trials:
        values = trial.values if trial.values is not None else [None] * len(names)
        row = [trial.number, trial.state.name, *(_cell(v) for v in values)]
        row += [_cell(trial.params.get(name)) for name in params]
        row += [_duration(trial), _when(trial.datetime_start)]
        rows.append(row)
    return {"columns": columns, "rows": rows}


def _kv_table(items: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td><pre>{_e(_shown(v))}</pre></td></tr>" for k, v in items)
    return f'<table class="kv">{body}</table>'


def _best_section(content: PageContent) -> str:
    parts = ['<section id="best">']
    if len(content.directions) == 1:
        parts.append("<h2>Best trial</h2>")
        if not content.best:
            parts.append('<p class="note">No trial completed (with a finite, feasible value): no best trial yet.</p>')
        else:
            best = content.best[0]
            assert best.values is not None
            parts.append(f'<p>Trial <b id="best-number">{best.number}</b>: {_e(content.names[0])} = '
                         f'<b id="best-value">{_e(_shown(best.values[0]))}</b> '
                         f'({_e(content.directions[0].name.lower())}d), {_e(_describe_time(best))}.</p>')
            parts.append("<h3>Parameters</h3>" + _kv_table(list(best.params.items())))
            if best.user_attrs:
                parts.append("<h3>User attributes</h3>" + _kv_table(list(best.user_attrs.items())))
    else:
        parts.append("<h2>Best trials (Pareto front)</h2>")
        if not content.best:
            parts.append('<p class="note">No trial completed (with finite, feasible values): no Pareto front yet.</p>')
        else:
            listed = content.best[:MAX_BEST_LISTED]
            more = f"; the first {len(listed)} by {content.names[0]} are listed" if len(listed) < len(content.best) \
                else ""
            parts.append(f'<p class="note">{len(content.best)} trials on the Pareto front{_e(more)}.</p>')
            heads = "".join(f"<th>{_e(n)} ({_e(d.name.lower())})</th>"
                            for n, d in zip(content.names, content.directions))
            rows = []
            for trial in listed:
                assert trial.values is not None
                values = "".join(f'<td class="num">{_e(_shown(v))}</td>' for v in trial.values)
                params = "\n".join(f"{k} = {_shown(v)}" for k, v in trial.params.items())
                attrs = "\n".join(f"{k} = {_shown(v)}" for k, v in trial.user_attrs.items())
                rows.append(f'<tr><td class="num">{trial.number}</td>{values}<td><pre>{_e(params)}</pre></td>'
                            f"<td><pre>{_e(attrs)}</pre></td></tr>")
            parts.append(f'<div class="scroll"><table id="best-trials"><thead><tr><th>Trial</th>{heads}'
                         f'<th>Parameters</th><th>User attributes</th></tr></thead><tbody>{"".join(rows)}'
                         "</tbody></table></div>")
    parts.append("</section>")
    return "".join(parts)


def _describe_time(trial: FrozenTrial) -> str:
    duration = _duration(trial)
    started = _when(trial.datetime_start)
    if duration is None:
        return f"started {started}" if started else "no recorded time"
    return f"{duration:g} s, started {started}"


def _importance_section(importance: Importances, figure: Figure | None) -> str:
    parts = ['<section id="importances"><h2>Parameter importances</h2>']
    if importance.columns:
        heads = "".join(f"<th>{_e(c)}</th>" for c in importance.columns)
        rows = "".join(
            f"<tr><td>{_e(p)}</td>"
            + "".join(f'<td class="num">{values.get(p, 0.0):.3f}</td>' for values in importance.columns.values())
            + "</tr>"
            for p in importance.order
        )
        parts.append(f'<table id="importance-table"><thead><tr><th>Parameter</th>{heads}</tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
        parts.append('<p class="note">PED-ANOVA over the complete trials: the share of each parameter in reaching '
                     "the best 10% of trials (columns sum to 1).</p>")
    elif not importance.notes:
        parts.append('<p class="note">No importances: they need completed trials with parameters.</p>')
    parts += [f'<p class="note">{_e(n)}</p>' for n in importance.notes]
    if figure is not None:
        parts += [f'<p class="note">{_e(n)}</p>' for n in figure.notes]
        if figure.json is not None:
            parts.append(f'<div class="plot" id="fig-{_e(figure.key)}"></div>')
    parts.append("</section>")
    return "".join(parts)


def _figure_section(figure: Figure) -> str:
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in figure.notes)
    plot = f'<div class="plot" id="fig-{_e(figure.key)}"></div>' if figure.json is not None else ""
    return f'<section id="section-{_e(figure.key)}"><h2>{_e(figure.title)}</h2>{notes}{plot}</section>'


def _header(content: PageContent) -> str:
    counts = Counter(t.state for t in content.trials)
    states = ", ".join(f"{counts[s]:,} {s.name.lower()}" for s in TrialState if counts[s])
    objectives = ", ".join(f"{n} ({d.name.lower()})" for n, d in zip(content.names, content.directions))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<header><h1>{_e(content.title)}</h1><div class=\"meta\">"
        f"<span>Study <b id=\"study-name\">{_e(content.study_name)}</b></span>"
        f"<span>{'Objective' if len(content.names) == 1 else 'Objectives'}: {_e(objectives)}</span>"
        f"<span>{len(content.trials):,} trials{' (' + _e(states) + ')' if states else ''}</span>"
        f"<span>Generated {now} by hpo {_e(__version__)}</span></div></header>"
    )


def render(content: PageContent, plotly_js: str) -> str:
    """The whole page."""
    figures = {f.key: f for f in content.figures if f.json is not None}
    figures_json = "{" + ",".join(f"{json.dumps(k)}:{f.json}" for k, f in figures.items()) + "}"
    figures_json = offline(figures_json.replace("</", "<\\/").replace("<!--", "\\u003c!--"))
    links = [("best", "Best"), ("importances", "Importances")]
    importance_figure = next((f for f in content.figures if f.key == "importances"), None)
    sections = [f for f in content.figures if f is not importance_figure]
    links += [(f"section-{f.key}", f.title if f.key.startswith("history") else f.title.split(":")[0])
              for f in sections]
    links.append(("trials", "Trials"))
    nav = "".join(f'<a href="#{_e(anchor)}">{_e(label)}</a>' for anchor, label in links)
    notices = "".join(f'<div class="notice">{_e(n)}</div>' for n in content.notices)
    study_attrs = ""
    if content.study_user_attrs:
        study_attrs = ('<section id="study-attrs"><h2>Study user attributes</h2>'
                       f"{_kv_table(list(content.study_user_attrs.items()))}</section>")
    table = table_data(content.table, content.names)
    heads = "".join(f"<th>{_e(c['label'])}</th>" for c in table["columns"])
    states = "".join(f'<option value="{s.name}">{s.name}</option>' for s in TrialState)
    table_note = f'<p class="note" id="trials-note">{_e(content.table_note)}</p>' if content.table_note else ""
    trials_section = (
        '<section id="trials"><h2>Trials</h2>' + table_note
        + '<div class="controls"><input type="search" id="trials-filter" placeholder="Filter: e.g. value&lt;0.5 '
        'x&gt;=1 adam" aria-label="Filter the trials"><select id="trials-state" aria-label="State">'
        f'<option value="">All states</option>{states}</select><button id="trials-prev">Previous</button>'
        '<button id="trials-next">Next</button><span id="trials-status" class="note"></span>'
        '<span id="trials-filter-error" class="error"></span></div>'
        '<p class="note">Click a column to sort; filter with words the row contains or NAME OP VALUE terms '
        "(OP: &lt; &lt;= &gt; &gt;= = !=), all of which must hold.</p>"
        f'<div class="scroll"><table id="trials-table"><thead><tr>{heads}</tr></thead><tbody></tbody></table></div>'
        "</section>"
    )
    plotly = offline(plotly_js).replace("</script", "<\\/script")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{_e(content.title)}</title><style>{CSS}</style></head><body>'
        f"{_header(content)}<nav>{nav}</nav><main>{notices}{study_attrs}{_best_section(content)}"
        f"{_importance_section(content.importance, importance_figure)}{''.join(_figure_section(f) for f in sections)}"
        f"{trials_section}</main>"
        f'<script type="application/json" id="hpo-figures">{figures_json}</script>'
        f'<script type="application/json" id="hpo-trials">{script_json(table)}</script>'
        f"<script>{plotly}</script><script>{JS}</script></body></html>\n"
    )
