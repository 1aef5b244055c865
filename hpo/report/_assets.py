"""The report page's inline CSS and JavaScript (no external resource: the page must open offline)."""

CSS = """
:root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--fg); background: #fff; }
header { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: var(--head); }
header h1 { margin: 0 0 6px; font-size: 22px; }
header .meta { color: var(--muted); }
header .meta span { margin-right: 18px; white-space: nowrap; }
nav { display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 8px 28px; border-bottom: 1px solid var(--line);
      font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; white-space: nowrap; }
main { padding: 0 28px 40px; max-width: 1400px; }
section { margin-top: 26px; }
h2 { font-size: 18px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 14px 0 6px; }
.notice { padding: 10px 14px; margin-top: 18px; border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; }
.note { color: var(--muted); font-size: 13px; margin: 4px 0; }
.plot { width: 100%; min-height: 440px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.kv th { width: 1%; white-space: nowrap; }
pre { margin: 0; font-size: 12px; white-space: pre-wrap; word-break: break-word; }
.scroll { overflow-x: auto; max-width: 100%; }
#trials-table th { cursor: pointer; user-select: none; white-space: nowrap; }
#trials-table th.sorted-asc::after { content: " \\25B2"; font-size: 10px; }
#trials-table th.sorted-desc::after { content: " \\25BC"; font-size: 10px; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 8px 0; }
.controls input[type=search] { width: 340px; padding: 4px 6px; }
.controls button { padding: 3px 10px; }
.state-COMPLETE { color: #1a7f37; } .state-PRUNED { color: #9a6700; } .state-FAIL { color: #cf222e; }
.state-RUNNING { color: #0969da; } .state-WAITING { color: var(--muted); }
.error { color: #cf222e; }
"""

# Draws the figures (their JSON is in #hpo-figures) and runs the trials table (its rows are in #hpo-trials):
# sort by a column (click its header), filter (NAME OP VALUE terms, OP one of < <= > >= = !=, or words the row
# contains), a state menu and pages of 100 rows.
JS = r"""
(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("hpo-figures").textContent);
  Object.keys(figures).forEach(function (key) {
    var element = document.getElementById("fig-" + key);
    var figure = figures[key];
    try {
      Plotly.newPlot(element, figure.data, figure.layout || {}, {displaylogo: false, responsive: true})
        .then(function () { element.dataset.drawn = "1"; });
    } catch (e) {
      element.textContent = "This figure could not be drawn: " + e;
      element.className += " error";
    }
  });

  var data = JSON.parse(document.getElementById("hpo-trials").textContent);
  var columns = data.columns, rows = data.rows;
  var PAGE = 100;
  var view = {sort: 0, descending: false, page: 0, shown: rows};
  var table = document.getElementById("trials-table");
  var body = table.querySelector("tbody");
  var filterInput = document.getElementById("trials-filter");
  var stateSelect = document.getElementById("trials-state");
  var status = document.getElementById("trials-status");
  var error = document.getElementById("trials-filter-error");

  function number(value) {
    if (typeof value === "number") return value;
    if (value === "Infinity" || value === "-Infinity" || value === "NaN") return Number(value);
    return null;
  }
  function text(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") {
      if (Number.isInteger(value)) return String(value);
      return String(parseFloat(value.toPrecision(6)));
    }
    return String(value);
  }
  function compare(a, b) {  // missing values last, numbers before strings
    var na = number(a), nb = number(b);
    var ka = a === null || a === undefined ? 2 : (na !== null ? 0 : 1);
    var kb = b === null || b === undefined ? 2 : (nb !== null ? 0 : 1);
    if (ka !== kb) return ka - kb;
    if (ka === 0) return na === nb ? 0 : (isNaN(na) ? 1 : (isNaN(nb) ? -1 : na - nb));
    if (ka === 1) return String(a) < String(b) ? -1 : (String(a) > String(b) ? 1 : 0);
    return 0;
  }
  var OPS = {"<": function (c) { return c < 0; }, "<=": function (c) { return c <= 0; },
             ">": function (c) { return c > 0; }, ">=": function (c) { return c >= 0; },
             "=": function (c) { return c === 0; }, "!=": function (c) { return c !== 0; }};
  function findColumn(name) {
    var wanted = name.toLowerCase();
    for (var i = 0; i < columns.length; i++) {
      if (columns[i].label.toLowerCase() === wanted || columns[i].key.toLowerCase() === wanted) return i;
    }
    return -1;
  }
  function parseFilter(textValue) {
    var tests = [];
    var terms = textValue.trim().split(/\s+/).filter(function (t) { return t.length > 0; });
    for (var t = 0; t < terms.length; t++) {
      var match = /^([^<>=!]+?)(<=|>=|!=|<|>|=)(.+)$/.exec(terms[t]);
      if (match) {
        var index = findColumn(match[1]);
        if (index < 0) throw new Error("no column " + match[1] + " (columns: " +
          columns.map(function (c) { return c.key; }).join(", ") + ")");
        var wanted = isNaN(Number(match[3])) ? match[3] : Number(match[3]);
        tests.push((function (i, op, w) {
          return function (row) {
            var value = row[i];
            if (value === null || value === undefined) return false;
            var c = typeof w === "number" && number(value) !== null ? number(value) - w
              : (String(value).toLowerCase() < String(w).toLowerCase() ? -1
                 : (String(value).toLowerCase() > String(w).toLowerCase() ? 1 : 0));
            return OPS[op](c);
          };
        })(index, match[2], wanted));
      } else {
        tests.push((function (word) {
          return function (row) {
            return row.some(function (v) { return text(v).toLowerCase().indexOf(word) >= 0; });
          };
        })(terms[t].toLowerCase()));
      }
    }
    return tests;
  }
  function refresh() {
    var tests;
    try {
      tests = parseFilter(filterInput.value);
      error.textContent = "";
    } catch (e) {
      error.textContent = e.message;
      tests = [];
    }
    var state = stateSelect.value;
    var stateColumn = findColumn("state");
    var shown = rows.filter(function (row) {
      if (state && row[stateColumn] !== state) return false;
      return tests.every(function (test) { return test(row); });
    });
    var i = view.sort, sign = view.descending ? -1 : 1;
    shown.sort(function (a, b) {
      var missingA = a[i] === null || a[i] === undefined, missingB = b[i] === null || b[i] === undefined;
      if (missingA || missingB) return compare(a[i], b[i]);
      return sign * compare(a[i], b[i]) || a[0] - b[0];
    });
    view.shown = shown;
    view.page = Math.min(view.page, Math.max(0, Math.ceil(shown.length / PAGE) - 1));
    draw();
  }
  function draw() {
    var start = view.page * PAGE, end = Math.min(view.shown.length, start + PAGE);
    var fragment = document.createDocumentFragment();
    for (var r = start; r < end; r++) {
      var tr = document.createElement("tr");
      var row = view.shown[r];
      for (var c = 0; c < columns.length; c++) {
        var td = document.createElement("td");
        td.textContent = text(row[c]);
        if (columns[c].kind === "number" || typeof row[c] === "number") td.className = "num";
        if (columns[c].key === "state") td.className = "state-" + row[c];
        if (typeof row[c] === "number" && !Number.isInteger(row[c])) td.title = String(row[c]);
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
    status.textContent = view.shown.length === 0 ? "No trial matches." :
      "Rows " + (start + 1) + "\u2013" + end + " of " + view.shown.length + " matching (" + rows.length +
      " in this report).";
    document.getElementById("trials-prev").disabled = view.page === 0;
    document.getElementById("trials-next").disabled = end >= view.shown.length;
    var headers = table.querySelectorAll("th");
    for (var h = 0; h < headers.length; h++) {
      headers[h].className = h === view.sort ? (view.descending ? "sorted-desc" : "sorted-asc") : "";
    }
  }
  table.querySelectorAll("th").forEach(function (th, index) {
    th.addEventListener("click", function () {
      view.descending = view.sort === index ? !view.descending : false;
      view.sort = index;
      view.page = 0;
      refresh();
    });
  });
  filterInput.addEventListener("input", function () { view.page = 0; refresh(); });
  stateSelect.addEventListener("change", function () { view.page = 0; refresh(); });
  document.getElementById("trials-prev").addEventListener("click", function () { view.page--; draw(); });
  document.getElementById("trials-next").addEventListener("click", function () { view.page++; draw(); });
  refresh();
})();
"""
