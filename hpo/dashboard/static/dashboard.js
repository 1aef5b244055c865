// hpo dashboard: the studies list and the study page. Polls /api/version every second and
// redraws what changed; every table is paged, sorted and filtered by the server.
"use strict";

const POLL_MS = 1000;
const HEAVY_CHART_MS = 5000; // charts not marked data-live redraw at most this often
const WEBGL_POINTS = 2000; // scatter traces longer than this are drawn with WebGL

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, {credentials: "same-origin"});
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function fmt(v) {
  if (v == null) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+(e|$)/, "$1");
  return String(v);
}

// plotly.js (4.8 MB, a second or more to parse on a slow machine) loads after the page's first paint:
// the table and a light drawing of the history come first, plotly's interactive charts replace it.
let plotlyLoaded = null;
function plotly() {
  if (!plotlyLoaded) {
    plotlyLoaded = new Promise((resolve, reject) => {
      const script = el("script", {src: document.body.dataset.plotly || "/plotly.min.js", async: ""});
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("cannot load plotly.js"));
      document.head.append(script);
    });
  }
  return plotlyLoaded;
}

// A plotly array: a plain list, or typed-array JSON ({dtype, bdata: base64}).
const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array, u2: Uint16Array,
  i1: Int8Array, u1: Uint8Array};
function values(a) {
  if (a == null) return [];
  if (Array.isArray(a)) return a;
  if (a.bdata === undefined || !TYPED[a.dtype]) return [];
  const bytes = Uint8Array.from(atob(a.bdata), c => c.charCodeAt(0));
  return new TYPED[a.dtype](bytes.buffer);
}

const COLORWAY = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880"];
const HISTORY_MARGIN = {l: 60, r: 20, t: 30, b: 50};

function niceTicks(low, high, count) {
  const raw = (high - low) / count, power = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

// The history's scatter and lines drawn on a canvas, without plotly: the page's first chart.
function drawLight(div, figure) {
  const traces = figure.data.filter(t => t.type === "scatter").map((t, i) => ({
    x: values(t.x), y: values(t.y), name: t.name, legend: t.showlegend !== false && t.name,
    markers: (t.mode || "markers").includes("markers"),
    color: (t.marker && typeof t.marker.color === "string" && t.marker.color) ||
      (t.line && t.line.color) || COLORWAY[i % COLORWAY.length]}));
  const extent = key => {
    let low = Infinity, high = -Infinity;
    for (const t of traces) for (const v of t[key]) if (Number.isFinite(v)) { if (v < low) low = v; if (v > high) high = v; }
    if (low === Infinity) return [0, 1];
    const pad = (high - low || 1) * 0.05;
    return [low - pad, high + pad];
  };
  const [x0, x1] = extent("x"), [y0, y1] = extent("y");
  const width = div.clientWidth, height = div.clientHeight, m = HISTORY_MARGIN;
  const canvas = el("canvas", {class: "light", width, height});
  const g = canvas.getContext("2d");
  const px = x => m.l + (x - x0) / (x1 - x0) * (width - m.l - m.r);
  const py = y => height - m.b - (y - y0) / (y1 - y0) * (height - m.t - m.b);
  g.fillStyle = "#E5ECF6"; g.fillRect(m.l, m.t, width - m.l - m.r, height - m.t - m.b);
  g.strokeStyle = "#fff"; g.fillStyle = "#2a3f5f"; g.font = "12px sans-serif"; g.lineWidth = 1;
  g.textAlign = "center";
  for (const t of niceTicks(x0, x1, 6)) {
    g.beginPath(); g.moveTo(px(t), m.t); g.lineTo(px(t), height - m.b); g.stroke(); g.fillText(fmt(t), px(t), height - m.b + 16);
  }
  g.textAlign = "right";
  for (const t of niceTicks(y0, y1, 5)) {
    g.beginPath(); g.moveTo(m.l, py(t)); g.lineTo(width - m.r, py(t)); g.stroke(); g.fillText(fmt(t), m.l - 6, py(t) + 4);
  }
  g.textAlign = "center";
  const title = axis => (axis && axis.title && (axis.title.text || axis.title)) || "";
  g.fillText(String(title(figure.layout.xaxis)), m.l + (width - m.l - m.r) / 2, height - 12);
  g.save(); g.translate(14, m.t + (height - m.t - m.b) / 2); g.rotate(-Math.PI / 2);
  g.fillText(String(title(figure.layout.yaxis)), 0, 0); g.restore();
  g.save(); g.beginPath(); g.rect(m.l, m.t, width - m.l - m.r, height - m.t - m.b); g.clip();
  for (const t of traces) {
    g.fillStyle = g.strokeStyle = t.color;
    if (t.markers) {
      for (let i = 0; i < t.x.length; i++) {
        if (Number.isFinite(t.y[i])) { g.beginPath(); g.arc(px(t.x[i]), py(t.y[i]), 3, 0, 2 * Math.PI); g.fill(); }
      }
    } else {
      g.lineWidth = 2; g.beginPath();
      let drawing = false;
      for (let i = 0; i < t.x.length; i++) {
        if (!Number.isFinite(t.y[i])) { drawing = false; continue; }
        if (drawing) g.lineTo(px(t.x[i]), py(t.y[i])); else g.moveTo(px(t.x[i]), py(t.y[i]));
        drawing = true;
      }
      g.stroke();
    }
  }
  g.restore();
  g.textAlign = "left"; g.fillStyle = "#2a3f5f";
  let left = m.l;
  for (const t of traces.filter(t => t.legend)) {
    g.fillStyle = g.strokeStyle = t.color;
    if (t.markers) { g.beginPath(); g.arc(left + 8, 12, 3, 0, 2 * Math.PI); g.fill(); }
    else { g.lineWidth = 2; g.beginPath(); g.moveTo(left, 12); g.lineTo(left + 16, 12); g.stroke(); }
    g.fillStyle = "#2a3f5f"; g.fillText(t.name, left + 22, 16);
    left += 30 + g.measureText(t.name).width;
  }
  div.replaceChildren(canvas);
}

// A chart is drawn once it comes near the screen (charts far below wait, so they do not hold up the page).
const nearScreen = new Set();
const onScreen = new IntersectionObserver(entries => {
  for (const entry of entries) if (entry.isIntersecting) { nearScreen.add(entry.target); entry.target.dispatchEvent(new Event("near")); }
}, {rootMargin: "200px"});

function poll(url, onChange) {
  let last = null;
  const live = document.getElementById("live");
  async function tick() {
    try {
      const {version} = await getJSON(url);
      live.classList.add("on");
      if (version !== last) { last = version; await onChange(); }
    } catch (e) {
      live.classList.remove("on");
    }
    setTimeout(tick, POLL_MS);
  }
  tick();
}

// ---- studies list ---------------------------------------------------------------------------
function studiesPage() {
  const filter = document.getElementById("study-filter");
  const body = document.querySelector("#studies tbody");
  async function refresh() {
    const data = await getJSON("/api/studies?filter=" + encodeURIComponent(filter.value));
    body.replaceChildren(...data.studies.map(s => el("tr", {},
      el("td", {}, el("a", {href: "/study?study=" + encodeURIComponent(s.name)}, s.name)),
      el("td", {}, s.directions.join(", ").toLowerCase()),
      el("td", {}, s.state),
      el("td", {}, s.n_trials),
      el("td", {}, Object.entries(s.by_state).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(", ")),
      el("td", {}, s.best.map(b => `${b.values.map(fmt).join(", ")} (#${b.number})`).join("; ")),
      el("td", {}, s.last_activity || ""))));
    document.getElementById("studies-empty").hidden = data.studies.length > 0;
    if (data.runtime) await refreshRuntime();
  }
  filter.addEventListener("input", refresh);
  poll("/api/version", refresh);
  setInterval(() => { if (!document.getElementById("runtime").hidden) refreshRuntime(); }, 2000);
}

async function refreshRuntime() {
  const {runtime} = await getJSON("/api/runtime");
  const panel = document.getElementById("runtime");
  const body = document.getElementById("runtime-body");
  panel.hidden = !runtime;
  if (!runtime) return;
  if (runtime.error) { body.replaceChildren(el("p", {class: "error"}, runtime.error)); return; }
  const c = runtime.coordinator;
  const health = !c.holder ? "none holds the lease" : c.alive ?
    `lease held by ${c.holder}, renewed ${c.renewed_s_ago} s ago` :
    `lease of ${c.holder} not renewed for ${c.renewed_s_ago} s (killed or hung; it expires in ${c.lease_ttl_s} s)`;
  const gpus = list => list.length ? list.join(", ") : "-";
  body.replaceChildren(
    el("p", {}, "Coordinator: ", el("strong", {id: "coordinator-state", class: c.alive ? "state-COMPLETE" : "state-FAIL"},
      c.alive ? "up" : "down"), ` (${health})`),
    el("table", {class: "grid", id: "queues"},
      el("thead", {}, el("tr", {}, ...["Queue", "Workers", "Slots", "GPUs", "Waiting tasks", "Hosts (slots; GPUs)"]
        .map(h => el("th", {}, h)))),
      el("tbody", {}, ...Object.entries(runtime.queues).map(([q, e]) => el("tr", {"data-queue": q},
        el("td", {}, q), el("td", {}, e.workers.length), el("td", {}, e.slots), el("td", {}, gpus(e.gpus)),
        el("td", {}, e.depth),
        el("td", {}, e.workers.map(w => `${w.hostname} (${w.slots}${w.gpus.length ? "; " + w.gpus.join(", ") : ""})`)
          .join(", ")))))),
    el("p", {id: "running"}, "Trials running now: ",
      Object.entries(runtime.running).map(([s, n]) => `${s}: ${n}`).join(", ") || "none"),
    el("p", {id: "waiting"}, "Trials published, waiting for a slot: ",
      Object.entries(runtime.waiting || {}).map(([s, n]) => `${s}: ${n}`).join(", ") || "none"));
}

// ---- study page -----------------------------------------------------------------------------
function studyPage() {
  const study = new URLSearchParams(location.search).get("study");
  const q = "study=" + encodeURIComponent(study);
  document.getElementById("study-name").textContent = study;
  document.title = study + " - hpo dashboard";
  const table = {offset: 0, limit: 50, sort: "number", order: "desc", filter: ""};
  let summary = null;
  let shownTrial = null;
  const lastDrawn = {};

  async function refreshSummary() {
    summary = await getJSON("/api/study?" + q);
    const s = summary;
    document.getElementById("summary").replaceChildren(el("dl", {class: "kv"},
      el("dt", {}, "Directions"), el("dd", {}, s.directions.join(", ").toLowerCase()),
      el("dt", {}, "State"), el("dd", {}, s.state),
      el("dt", {}, "Trials"), el("dd", {}, `${s.n_trials}: ` +
        Object.entries(s.by_state).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(", ")),
      el("dt", {}, "Best"), el("dd", {}, s.best.map(b => `${b.values.map(fmt).join(", ")} (trial ${b.number})`).join("; ") || "-"),
      el("dt", {}, "Last activity"), el("dd", {}, s.last_activity || "-")));
    const multi = s.directions.length > 1;
    const objective = document.getElementById("objective");
    document.getElementById("objective-label").hidden = !multi;
    if (multi && objective.options.length !== s.directions.length) {
      objective.replaceChildren(...s.directions.map((d, i) => el("option", {value: i}, `${i} (${d.toLowerCase()})`)));
    }
    for (const fig of document.querySelectorAll(".chart[data-multi]")) fig.hidden = !multi;
    for (const [id, pick] of [["contour-x", 0], ["contour-y", 1]]) {
      const select = document.getElementById(id);
      if (select.options.length !== s.params.length) {
        const keep = select.value;
        select.replaceChildren(...s.params.map(p => el("option", {value: p}, p)));
        select.value = s.params.includes(keep) ? keep : s.params[Math.min(pick, s.params.length - 1)] || "";
      }
    }
  }

  // The history is thinned by the server to its plot area's pixels; zoomed in, to the zoomed ranges.
  let historyZoom = null;
  function historyQuery(div) {
    const m = HISTORY_MARGIN;
    let query = `&width=${Math.max(1, div.clientWidth - m.l - m.r)}&height=${Math.max(1, div.clientHeight - m.t - m.b)}`;
    if (historyZoom) query += "&" + new URLSearchParams(historyZoom);
    return query;
  }

  function watchZoom(div) {
    if (div.dataset.watched) return;
    div.dataset.watched = "1";
    div.on("plotly_relayout", event => {
      if (event["xaxis.autorange"] || event["yaxis.autorange"]) historyZoom = null;
      else if (Object.keys(event).some(k => k.startsWith("xaxis.range") || k.startsWith("yaxis.range"))) {
        const [x0, x1] = div.layout.xaxis.range, [y0, y1] = div.layout.yaxis.range;
        historyZoom = div.layout.yaxis.type === "log" ? {x0, x1, y0: 10 ** y0, y1: 10 ** y1} : {x0, x1, y0, y1};
      } else return;
      drawChart(div.closest(".chart"));
    });
  }

  function points(trace) {
    return trace.x == null ? 0 : Array.isArray(trace.x) ? trace.x.length : values(trace.x).length;
  }

  async function drawChart(fig) {
    if (!fig.dataset.eager && !nearScreen.has(fig)) { fig.dataset.pending = "1"; return; }
    delete fig.dataset.pending;
    const kind = fig.dataset.kind;
    const div = fig.querySelector(".plot");
    let url = `/api/chart?${q}&kind=${kind}&objective=${document.getElementById("objective").value || 0}`;
    if (kind === "contour") {
      const x = document.getElementById("contour-x").value, y = document.getElementById("contour-y").value;
      if (!x || !y || x === y) { message(div, "Choose two different parameters."); fig.dataset.drawn = "message"; return; }
      url += "&params=" + encodeURIComponent(x + "," + y);
    }
    if (kind === "history") url += historyQuery(div);
    lastDrawn[kind] = Date.now();
    const started = performance.now();
    try {
      // The history does not wait for plotly.js: until it is loaded, the light drawing stands in.
      const light = kind === "history" && !window.Plotly;
      const [figure, Plotly] = await Promise.all([getJSON(url), light ? null : plotly()]);
      if (!figure.data.length) { message(div, "Nothing to draw yet."); fig.dataset.drawn = "empty"; return; }
      const meta = figure.layout.meta;
      if (meta && meta.points !== undefined) fig.dataset.points = `${meta.points_shown}/${meta.points}`;
      let note = fig.querySelector("figcaption .note");
      if (!note) { note = el("span", {class: "note muted"}); fig.querySelector("figcaption").append(note); }
      note.textContent = meta && meta.trials !== undefined ?
        ` (a sample: ${meta.trials_shown.toLocaleString("en")} of ${meta.trials.toLocaleString("en")} trials)` : "";
      if (light) { drawLight(div, figure); fig.dataset.drawn = "light"; return; }
      if (div.querySelector(".message, .light")) div.replaceChildren();
      for (const trace of figure.data) {  // thousands of SVG points draw slowly: WebGL instead
        if (trace.type === "scatter" && points(trace) > WEBGL_POINTS) trace.type = "scattergl";
      }
      figure.layout.autosize = true;
      delete figure.layout.width; delete figure.layout.height; delete figure.layout.title;
      figure.layout.margin = {l: 60, r: 20, t: 20, b: 50};
      figure.layout.uirevision = kind;  // live redraws keep the user's zoom
      if (kind === "history") {
        figure.layout.margin = HISTORY_MARGIN;
        figure.layout.legend = {orientation: "h", x: 0, y: 1, yanchor: "bottom"};
      }
      await Plotly.react(div, figure.data, figure.layout, {responsive: true, displaylogo: false});
      if (kind === "history") watchZoom(div);
      fig.dataset.drawn = "1";
      performance.measure("chart " + kind, {start: started});  // for benchmarks/dashboard
    } catch (e) {
      message(div, "Not available: " + e.message);
      fig.dataset.drawn = "message";
    }
  }

  function message(div, text) {
    if (div.classList.contains("js-plotly-plot")) { window.Plotly.purge(div); delete div.dataset.watched; }
    div.replaceChildren(el("p", {class: "message"}, text));
  }

  async function refreshCharts(all, skip) {
    const figs = [...document.querySelectorAll(".chart")].filter(f => !f.hidden && f.dataset.kind !== skip);
    for (const fig of figs) {
      const due = all || fig.dataset.live || Date.now() - (lastDrawn[fig.dataset.kind] || 0) > HEAVY_CHART_MS;
      if (due) await drawChart(fig);
    }
  }

  function columns() {
    const cols = [["number", "#"], ["state", "State"]];
    const n = summary ? summary.directions.length : 1;
    for (let i = 0; i < n; i++) cols.push(["value" + (i || ""), n > 1 ? `Value ${i}` : "Value"]);
    for (const p of summary ? summary.params : []) cols.push(["param:" + p, p]);
    cols.push(["duration", "Duration (s)"], ["datetime_complete", "Completed"], ["worker", "Worker"]);
    return cols;
  }

  function cell(row, key) {
    if (key.startsWith("param:")) return fmt(row.params[key.slice(6)]);
    if (key.startsWith("value")) return row.values ? fmt(row.values[Number(key.slice(5) || 0)]) : "";
    return fmt(row[key]);
  }

  async function refreshTable() {
    const url = `/api/trials?${q}&limit=${table.limit}&offset=${table.offset}&sort=${encodeURIComponent(table.sort)}` +
      `&order=${table.order}&filter=${encodeURIComponent(table.filter)}`;
    let page;
    try {
      page = await getJSON(url);
      document.getElementById("filter-error").textContent = "";
    } catch (e) {
      document.getElementById("filter-error").textContent = e.message;
      return;
    }
    const cols = columns();
    const head = document.querySelector("#trials thead");
    head.replaceChildren(el("tr", {}, ...cols.map(([key, title]) => el("th", {
      "data-key": key, class: key === table.sort ? "sorted-" + table.order : "",
      onclick: () => {
        table.order = table.sort === key && table.order === "asc" ? "desc" : "asc";
        table.sort = key; table.offset = 0; refreshTable();
      }}, title))));
    document.querySelector("#trials tbody").replaceChildren(...page.rows.map(row => el("tr",
      {"data-number": row.number, onclick: () => showTrial(row.number)},
      ...cols.map(([key]) => el("td", key === "state" ? {class: "state-" + row.state} : {}, cell(row, key))))));
    const end = Math.min(page.offset + page.rows.length, page.total);
    document.getElementById("page-info").textContent =
      `${page.total ? page.offset + 1 : 0}-${end} of ${page.total}` + (page.total !== page.n_trials ? ` (${page.n_trials} in all)` : "");
    document.getElementById("prev").disabled = page.offset === 0;
    document.getElementById("next").disabled = end >= page.total;
    document.getElementById("trials").dataset.total = page.total;
  }

  async function showTrial(number) {
    shownTrial = number;
    const t = await getJSON(`/api/trial?${q}&number=${number}`);
    const pre = v => el("pre", {}, typeof v === "string" ? v : JSON.stringify(v, null, 2));
    const panel = document.getElementById("trial");
    const items = [
      ["State", t.state], ["Values", (t.values || []).map(fmt).join(", ")],
      ["Started", t.datetime_start], ["Completed", t.datetime_complete], ["Duration (s)", fmt(t.duration)],
      ["Worker / device", t.worker || "-"]];
    panel.replaceChildren(
      el("h2", {}, `Trial ${t.number} `, el("button", {onclick: () => { panel.hidden = true; shownTrial = null; }}, "close")),
      el("dl", {class: "kv"}, ...items.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v == null ? "" : v)])),
      el("h3", {}, "Parameters"), pre(t.params),
      ...(t.prune_reason != null ? [el("h3", {}, "Pruning reason"), pre(t.prune_reason)] : []),
      ...(t.fail_reason != null ? [el("h3", {}, "Fail reason"), pre(t.fail_reason)] : []),
      el("h3", {}, "Intermediate values"),
      t.intermediate_values.length ? pre(t.intermediate_values.map(([s, v]) => `${s}\t${fmt(v)}`).join("\n")) : el("p", {class: "muted"}, "none"),
      el("h3", {}, "User attributes"), pre(t.user_attrs),
      el("h3", {}, "System attributes"), pre(t.system_attrs));
    panel.hidden = false;
    panel.scrollIntoView({block: "nearest"});
  }

  let filterTimer = null;
  document.getElementById("trial-filter").addEventListener("input", e => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => { table.filter = e.target.value; table.offset = 0; refreshTable(); }, 250);
  });
  document.getElementById("prev").addEventListener("click", () => { table.offset = Math.max(0, table.offset - table.limit); refreshTable(); });
  document.getElementById("next").addEventListener("click", () => { table.offset += table.limit; refreshTable(); });
  for (const id of ["contour-x", "contour-y"]) {
    document.getElementById(id).addEventListener("change", () => drawChart(document.querySelector('.chart[data-kind="contour"]')));
  }
  document.getElementById("objective").addEventListener("change", () => refreshCharts(true));

  for (const fig of document.querySelectorAll(".chart")) {
    onScreen.observe(fig);
    fig.addEventListener("near", () => { if (fig.dataset.pending) drawChart(fig); });
  }
  let first = true;
  poll("/api/version?" + q, async () => {
    await refreshSummary();
    if (first) {
      // The table and the light history first: they make the page usable; plotly.js and its charts follow.
      await Promise.all([refreshTable(), drawChart(document.querySelector('.chart[data-kind="history"]'))]);
      // Milliseconds from navigation to a usable page (the table's rows and the history drawn).
      document.body.dataset.readyMs = Math.round(performance.now());
      first = false;
      await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));  // painted
      try { await plotly(); } catch (e) { /* each chart says it is not available */ }
      await drawChart(document.querySelector('.chart[data-kind="history"]'));
      // ... and to the history drawn by plotly (zoom, hover).
      document.body.dataset.plotlyMs = Math.round(performance.now());
      await refreshCharts(true, "history");
      return;
    }
    await refreshTable();
    if (shownTrial !== null) await showTrial(shownTrial);
    await refreshCharts(false);
  });
}

if (document.body.dataset.page === "studies") studiesPage(); else studyPage();
