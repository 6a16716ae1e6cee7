// The network page: reads /api/network/options and /api/network, draws with Cytoscape.js.
// No inline script or style (the page's Content-Security-Policy allows none); the DOM is
// built with createElement / textContent only, colours and bar widths are set through the
// CSSOM (element.style), which the policy allows.
//
// The view lives in the address: every control and the selected node are written to the query
// string (history.replaceState) and read from it on load, so a permalink or a reload gives the
// same view; values the page does not know are ignored with a notice. The export links are
// rebuilt from the parameters of the drawn view, so each file holds what the page shows.
// Colours are fixed by the full lists of /api/network/options (a party keeps its colour under
// every filter), never by the order in which nodes appear.
(function () {
  "use strict";

  const PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
    "#e6550d", "#31a354",
  ];
  // nodes that are not agencies or parties, and agencies of no party: colours of their own
  const FIXED = {
    "": { colour: "#a0a7b4", label: "no party (international)" },
    plan: { colour: "#344054", label: "plan" },
    agreement: { colour: "#6941c6", label: "agreement" },
    step: { colour: "#c3cad5", label: "activity" },
  };
  const NODE_BASE = "https://w3id.org/plangraph/id/";
  const ROLE_LABELS = {
    lead: "lead", responsible: "responsible", "implementing-partner": "implementing partner",
    support: "support", resourcing: "resourcing", participant: "participant",
  };
  const NARROW = "(max-width: 50rem)";
  const CHART_TOP = 15;
  // the page's query parameters with their defaults (the view of a bare /network)
  const DEFAULTS = {
    projection: "agency", plan: "", party: "", theme: "", role: "", year: "",
    generic: false, rollup: false, colour: "party",
  };
  const PAGE_KEYS = [...Object.keys(DEFAULTS), "selected"];
  const BOOLEANS = new Map([
    ["true", true], ["1", true], ["yes", true], ["on", true],
    ["false", false], ["0", false], ["no", false], ["off", false],
  ]);
  const SELECTS = [
    ["projection", "f-projection", "view"], ["plan", "f-plan", "plan"],
    ["party", "f-party", "party"], ["theme", "f-theme", "theme"], ["role", "f-role", "role"],
    ["colour", "f-colour", "colouring"],
  ];

  const $ = (id) => document.getElementById(id);
  let cy = null;
  let current = null; // the last /api/network answer drawn
  let options = null; // /api/network/options
  let seq = 0;
  let selectedId = ""; // the node whose panel is open (`selected` in the address)
  let notes = []; // what the address asked for that the page ignored
  let rankRows = [];
  let sort = { key: "load", dir: -1 };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (v !== undefined && v !== null) node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
    }
    return node;
  }

  function localUrl(iri) {
    return iri.startsWith(NODE_BASE) ? "/id/" + iri.slice(NODE_BASE.length) : iri;
  }

  function short(iri) {
    return iri ? iri.split("/").pop() : "";
  }

  function list(value) {
    return value ? String(value).split(";").filter(Boolean) : [];
  }

  function narrow() {
    return window.matchMedia(NARROW).matches;
  }

  // -- the state: controls <-> address <-> API parameters -----------------------------------

  function readState() {
    return {
      projection: $("f-projection").value,
      plan: $("f-plan").value,
      party: $("f-party").value,
      theme: $("f-theme").value,
      role: $("f-role").value,
      year: $("f-year-on").checked ? $("f-year").value : "",
      generic: $("f-generic").checked,
      rollup: $("f-rollup").checked,
      colour: $("f-colour").value,
    };
  }

  // what /api/network is asked: the filters that differ from the API's defaults (the same
  // default view everywhere: real bodies only)
  function apiParams(state) {
    const p = new URLSearchParams();
    p.set("projection", state.projection);
    for (const k of ["plan", "party", "theme", "role", "year"]) {
      if (state[k]) p.set(k, state[k]);
    }
    if (state.generic) p.set("generic", "true");
    if (state.rollup) p.set("rollup", "true");
    return p;
  }

  function shortId(iri) {
    return iri.startsWith(NODE_BASE) ? iri.slice(NODE_BASE.length) : iri;
  }

  function longId(value) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return value;
    return NODE_BASE + value.replace(/^\/+/, "").replace(/^id\//, "");
  }

  // the address of the view: the values that differ from the defaults, and the selection
  function pageQuery(state) {
    const q = new URLSearchParams();
    for (const [k, def] of Object.entries(DEFAULTS)) {
      if (state[k] !== def) q.set(k, String(state[k]));
    }
    if (selectedId) q.set("selected", shortId(selectedId));
    return q;
  }

  function syncUrl() {
    // "/" needs no escaping in a query: keep selected=agency/khm/mosvy readable
    const q = pageQuery(readState()).toString().replace(/%2F/gi, "/");
    const url = location.pathname + (q ? "?" + q : "");
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
  }

  function matchOption(select, value) {
    const low = value.toLowerCase();
    for (const o of select.options) {
      if (o.value && (o.value.toLowerCase() === low || (o.dataset.iri || "").toLowerCase() === low)) {
        return o.value;
      }
    }
    return null;
  }

  // set the controls from the address; what cannot be used is noted, never thrown
  function applyQuery(search) {
    const q = new URLSearchParams(search);
    const out = [];
    for (const k of new Set(q.keys())) {
      if (!PAGE_KEYS.includes(k)) out.push(`unknown parameter “${k}”`);
    }
    const one = (name) => {
      const values = q.getAll(name).map((v) => v.trim()).filter(Boolean);
      if (values.length > 1) out.push(`${name}: one value at a time, kept “${values[0]}”`);
      return values[0];
    };
    for (const [name, id, what] of SELECTS) {
      const v = one(name);
      if (v === undefined) continue;
      const hit = matchOption($(id), v);
      if (hit === null) out.push(`${name} “${v}”: no such ${what}`);
      else $(id).value = hit;
    }
    const year = one("year");
    if (year !== undefined) {
      const slider = $("f-year");
      if (/^\d{4}$/.test(year) && +year >= +slider.min && +year <= +slider.max) {
        $("f-year-on").checked = true;
        slider.disabled = false;
        slider.value = year;
        $("f-year-out").textContent = year;
      } else {
        out.push(`year “${year}”: not a year from ${slider.min} to ${slider.max}`);
      }
    }
    for (const name of ["generic", "rollup"]) {
      const v = one(name);
      if (v === undefined) continue;
      const b = BOOLEANS.get(v.toLowerCase());
      if (b === undefined) out.push(`${name} “${v}”: not true or false`);
      else $(`f-${name}`).checked = b;
    }
    const selected = one("selected");
    return { notes: out, selected: selected === undefined ? "" : longId(selected) };
  }

  function showNotes() {
    const box = $("network-notice");
    box.replaceChildren();
    box.hidden = !notes.length;
    if (!notes.length) return;
    box.append(el("strong", {}, "Ignored in the address of this page:"));
    const ul = el("ul");
    for (const n of notes) ul.append(el("li", {}, n));
    box.append(ul);
  }

  function filterSummary() {
    const state = readState();
    const parts = [];
    for (const [name, id] of SELECTS) {
      if (name === "colour" || state[name] === DEFAULTS[name]) continue;
      const text = $(id).selectedOptions[0].textContent;
      parts.push(text.length > 40 ? text.slice(0, 39) + "…" : text);
    }
    if (state.year) parts.push(state.year);
    if (state.generic) parts.push("with catch-alls");
    if (state.rollup) parts.push("rolled up");
    $("network-filter-summary").textContent = parts.length ? `(${parts.join(" · ")})` : "(none)";
  }

  // -- colours: fixed by the full lists of the options ----------------------------------------

  function hashColour(text) {
    let h = 0;
    for (const ch of text) h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  // { key, colour, label, order } of a node under the current colouring
  function colourOf(data) {
    const fixed = (key) => ({ key, ...FIXED[key], order: 1000 });
    if (data.type === "step") return fixed("step");
    if (data.type === "plan" || data.type === "agreement") return fixed(data.type);
    if ($("f-colour").value === "kind") {
      const kind = data.kind || "unspecified";
      const i = options.kinds.indexOf(kind);
      return {
        key: "kind:" + kind, label: kind, order: i < 0 ? 500 : i,
        colour: i < 0 ? hashColour(kind) : PALETTE[i % PALETTE.length],
      };
    }
    const code = (data.party_code || "").toLowerCase();
    if (!code) return { ...fixed(""), order: 999 };
    const i = options.parties.findIndex((p) => p.id.toLowerCase() === code);
    return {
      key: code,
      label: i < 0 ? code.toUpperCase() : `${options.parties[i].label} (${code.toUpperCase()})`,
      order: i < 0 ? 500 : i,
      colour: i < 0 ? hashColour(code) : PALETTE[i % PALETTE.length],
    };
  }

  function style(maxLoad, maxWeight) {
    const big = Math.max(3, Math.round(maxLoad * 0.2));
    return [
      { selector: "node", style: {
        "background-color": "data(colour)",
        width: `mapData(size, 0, ${maxLoad}, 10, 64)`,
        height: `mapData(size, 0, ${maxLoad}, 10, 64)`,
        "border-width": 1, "border-color": "#0005",
        label: "", "font-size": 11, "text-valign": "bottom", "text-margin-y": 3,
        "text-wrap": "ellipsis", "text-max-width": 160, "min-zoomed-font-size": 7,
        "text-outline-color": "#fff", "text-outline-width": 2, color: "#1f2328",
      } },
      // label thinning: only the heavily loaded nodes are labelled until you zoom in / select
      { selector: `node[size >= ${big}]`, style: { label: "data(label)" } },
      { selector: "node[type = 'step']", style: { shape: "round-rectangle", width: 8, height: 8 } },
      { selector: "node[type = 'plan'], node[type = 'agreement']", style: { shape: "diamond", label: "data(label)", width: 34, height: 34 } },
      { selector: "node[?generic]", style: { "border-style": "dashed", "border-width": 2 } },
      { selector: "edge", style: {
        width: `mapData(weight, 1, ${Math.max(2, maxWeight)}, 0.6, 9)`,
        "line-color": "#8894a8", opacity: 0.35, "curve-style": "haystack",
      } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#111", label: "data(label)", "z-index": 10 } },
      { selector: "edge:selected", style: { "line-color": "#d62728", opacity: 0.9 } },
      { selector: ".faded", style: { opacity: 0.12 } },
      { selector: ".hover", style: { label: "data(label)", "z-index": 9 } },
    ];
  }

  function swatch(colour, cls) {
    const s = el("span", { class: cls || "swatch" });
    s.style.backgroundColor = colour;
    return s;
  }

  function legend(entries, maxLoad) {
    const box = $("network-legend");
    box.replaceChildren();
    box.append(el("strong", {}, $("f-colour").value === "kind" ? "Kind" : "Party"));
    const ul = el("ul");
    for (const e of entries) {
      ul.append(el("li", { "data-key": e.key, "data-colour": e.colour }, swatch(e.colour), e.label));
    }
    box.append(ul);
    box.append(el("strong", {}, "Load in steps (size)"));
    const sizes = el("ul");
    for (const [cls, text] of [["s1", "1"], ["s2", String(Math.round(maxLoad / 2))], ["s3", String(maxLoad)]]) {
      sizes.append(el("li", {}, el("span", { class: `size ${cls}` }), `${text} step${text === "1" ? "" : "s"}`));
    }
    box.append(sizes);
    box.append(el("p", { class: "muted" },
      "Dashed border: catch-all group or a party named instead of an agency. " +
      "Edge width: shared activities. Labels of small nodes show on hover, selection or zoom."));
  }

  function elements(doc) {
    const nodes = doc.elements.nodes;
    const seen = new Map();
    let maxLoad = 1;
    let maxWeight = 1;
    for (const n of nodes) {
      n.data.size = n.data.step_load || 0;
      maxLoad = Math.max(maxLoad, n.data.size);
      const c = colourOf(n.data);
      n.data.colour = c.colour;
      seen.set(c.key, c);
    }
    for (const e of doc.elements.edges) maxWeight = Math.max(maxWeight, e.data.weight || 1);
    const entries = [...seen.values()].sort((a, b) => a.order - b.order || a.label.localeCompare(b.label));
    return { nodes, edges: doc.elements.edges, entries, maxLoad, maxWeight };
  }

  // -- the panel of a node or an edge --------------------------------------------------------

  function metricRow(label, value) {
    return el("tr", {}, el("th", {}, label), el("td", { class: "num" }, value === undefined || value === null ? "" : String(value)));
  }

  function stepItem(stepIri, extra) {
    const info = (current.steps || {})[stepIri] || {};
    const plan = short(info.plan || "");
    const text = info.description || "";
    const li = el("li", {},
      el("a", { href: localUrl(stepIri) }, `${plan} ${info.number || short(stepIri)}`),
      extra ? ` (${extra})` : "", " ", text.length > 160 ? text.slice(0, 157) + "…" : text);
    for (const span of info.spans || []) {
      const lines = span.start === span.end ? `${span.start}` : `${span.start}-${span.end}`;
      li.append(" ", el("a", { href: `/sources/${span.document}?lines=${lines}#L${span.start}`, class: "source-link" }, `[lines ${lines}]`));
    }
    return li;
  }

  function showNode(node, reveal) {
    const d = node.data();
    const panel = $("network-panel");
    panel.replaceChildren();
    panel.hidden = false;
    delete panel.dataset.edge;
    panel.dataset.node = d.id;
    panel.append(el("h2", {}, d.label || d.id));
    panel.append(el("p", {},
      el("a", { href: localUrl(d.id), class: "node-page" }, "page of this " + (d.type || "node")),
      ` · ${d.kind || ""}${d.party_code ? " · " + d.party_code : ""}`));
    const t = el("table", { class: "metrics" });
    t.append(metricRow("steps (distinct)", d.step_load));
    t.append(metricRow("commitments (step, role)", d.obligation_load));
    for (const role of Object.keys(ROLE_LABELS)) {
      if (d[`load_${role}`]) t.append(metricRow(`  as ${ROLE_LABELS[role]}`, d[`load_${role}`]));
    }
    t.append(metricRow("partners (degree)", d.degree));
    t.append(metricRow("weighted degree", d.weighted_degree));
    t.append(metricRow("betweenness", d.betweenness));
    t.append(metricRow("PageRank", d.pagerank));
    t.append(metricRow("component size", d.component_size));
    t.append(metricRow("community", d.community));
    t.append(metricRow("brokerage between parties", d.brokerage));
    t.append(metricRow("agreements", list(d.agreements).length));
    panel.append(t);
    const mine = (current.commitments || {})[d.id] || [];
    if (mine.length) {
      panel.append(el("h3", {}, `Commitments (${mine.length})`));
      const ol = el("ol", { class: "commitments" });
      for (const [step, role] of mine) ol.append(stepItem(step, ROLE_LABELS[role] || role));
      panel.append(ol);
    }
    selectedId = d.id;
    markRow();
    syncUrl();
    // on a phone the panel is below the graph: bring it into view when the user asked for it
    if (reveal && narrow()) panel.scrollIntoView({ block: "nearest" });
  }

  function showEdge(edge) {
    const d = edge.data();
    const panel = $("network-panel");
    panel.replaceChildren();
    panel.hidden = false;
    delete panel.dataset.node;
    panel.dataset.edge = d.id;
    const a = cy.getElementById(d.source).data("label");
    const b = cy.getElementById(d.target).data("label");
    panel.append(el("h2", {}, `${a} — ${b}`));
    panel.append(el("p", {}, `${d.weight} shared · roles: ${list(d.roles).join(", ")} · years ${d.first_year}–${d.last_year}`));
    const ol = el("ol", { class: "shared-steps" });
    for (const step of d.steps || []) ol.append(stepItem(step));
    panel.append(ol);
    selectedId = "";
    markRow();
    syncUrl();
    if (narrow()) panel.scrollIntoView({ block: "nearest" });
  }

  function focus(node) {
    cy.elements().unselect();
    node.select();
    cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1.2) }, { duration: 300 });
    showNode(node, false);
  }

  // -- the ranking: a sortable table and a bar chart of the top loads ----------------------------

  // the headline ranking, as the API's: distinct steps, then (step, role) commitments, then
  // the IRI; catch-all groups and parties (shown only when asked) are context, never ranked
  function rankingRows(doc) {
    const nodes = doc.elements.nodes
      .map((n) => n.data)
      .filter((d) => d.type === "agency" || d.type === "party")
      .sort((a, b) => Number(!!a.generic) - Number(!!b.generic) ||
        (b.step_load || 0) - (a.step_load || 0) ||
        (b.obligation_load || 0) - (a.obligation_load || 0) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let rank = 0;
    return nodes.map((d) => ({
      id: d.id,
      rank: d.generic ? null : ++rank,
      order: rank + (d.generic ? nodes.length : 0),
      generic: !!d.generic,
      label: d.label || d.id,
      group: d.party_code || "",
      load: d.step_load || 0,
      commitments: d.obligation_load || 0,
      degree: d.degree,
      betweenness: d.betweenness,
      pagerank: d.pagerank,
      component: d.component_size,
      colour: d.colour,
    }));
  }

  function compareRows(a, b) {
    if (a.generic !== b.generic) return a.generic ? 1 : -1; // context after the ranked, always
    const x = a[sort.key];
    const y = b[sort.key];
    if (x === y || (x == null && y == null)) return a.order - b.order;
    if (x == null || x === "") return 1; // blanks last, whatever the direction
    if (y == null || y === "") return -1;
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return c * sort.dir || a.order - b.order;
  }

  function cell(value, label, cls) {
    const text = value === null || value === undefined ? "" : String(value);
    return el("td", { class: cls || "num", "data-label": label }, text);
  }

  function renderTable() {
    const rows = [...rankRows].sort(compareRows);
    const body = $("ranking-table").tBodies[0];
    body.replaceChildren(...rows.map((r) => el("tr", { "data-id": r.id, class: r.generic ? "context" : null },
      cell(r.rank === null ? "—" : r.rank, "#", "num rank"),
      el("td", { class: "name" }, el("button", { type: "button", class: "pick", "data-id": r.id }, r.label),
        r.generic ? el("span", { class: "muted" }, " (catch-all, not ranked)") : null),
      cell(r.group || "—", "party", "group"),
      cell(r.load, "steps"), cell(r.commitments, "commitments"),
      cell(r.degree, "degree"), cell(r.betweenness, "betweenness"), cell(r.pagerank, "PageRank"),
      cell(r.component, "component size"))));
    for (const th of $("ranking-table").tHead.rows[0].cells) {
      if (th.dataset.key === sort.key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    markRow();
  }

  function renderChart(projection) {
    const top = rankRows.filter((r) => !r.generic).slice(0, CHART_TOP);
    const max = Math.max(1, ...top.map((r) => r.load));
    const what = projection === "party" ? "parties" : "agencies";
    $("load-chart-title").textContent = `Top ${top.length} ${what} by steps`;
    const chart = $("load-chart");
    chart.replaceChildren(...top.map((r) => {
      const bar = swatch(r.colour, "bar");
      bar.style.width = `${(100 * r.load) / max}%`;
      return el("li", { "data-id": r.id },
        el("span", { class: "bar-label", title: r.label }, r.label),
        el("span", { class: "bar-area" }, bar),
        el("span", { class: "bar-value" }, String(r.load)));
    }));
  }

  function renderRanking(doc) {
    rankRows = rankingRows(doc);
    const what = doc.projection === "party" ? "parties" : "agencies";
    $("ranking-caption").textContent =
      `${rankRows.length} ${what} of the ${doc.elements.nodes.length} nodes in this view. ` +
      "Steps: distinct activities an agency is committed to (the ranking); commitments: " +
      "(activity, role) pairs, so a body listed in two roles for one activity counts twice. " +
      "Degree, betweenness and PageRank on this view's network: read them beside the size " +
      "of the agency's component (the hub of a small separate group can rank high).";
    $("ranking-table").tHead.rows[0].cells[1].querySelector("button").textContent =
      doc.projection === "party" ? "Party" : "Agency";
    renderTable();
    renderChart(doc.projection);
  }

  function markRow() {
    for (const tr of $("ranking-table").tBodies[0].rows) {
      tr.classList.toggle("selected", tr.dataset.id === selectedId);
    }
  }

  // -- drawing ---------------------------------------------------------------------------------

  function updateExports(params) {
    for (const a of document.querySelectorAll("#network-app a[data-format]")) {
      const p = new URLSearchParams(params);
      if (a.dataset.format !== "json") p.set("format", a.dataset.format);
      a.href = "/api/network?" + p.toString();
    }
  }

  function draw(doc, initial) {
    const { nodes, edges, entries, maxLoad, maxWeight } = elements(doc);
    const container = $("network-canvas");
    if (cy) cy.destroy();
    cy = window.cytoscape({
      container,
      elements: { nodes, edges },
      style: style(maxLoad, maxWeight),
      layout: { name: "preset", fit: true, padding: 30 },
      wheelSensitivity: 0.3,
      minZoom: 0.1,
      maxZoom: 5,
    });
    window.plangraphCy = cy;
    cy.on("tap", "node", (ev) => showNode(ev.target, true));
    cy.on("tap", "edge", (ev) => showEdge(ev.target));
    cy.on("mouseover", "node", (ev) => ev.target.addClass("hover"));
    cy.on("mouseout", "node", (ev) => ev.target.removeClass("hover"));
    legend(entries, maxLoad);
    const names = $("agency-names");
    names.replaceChildren();
    for (const n of nodes.filter((x) => x.data.type !== "step").map((x) => x.data.label).sort()) {
      names.append(el("option", { value: n }));
    }
    renderRanking(doc);
    const panel = $("network-panel");
    const keep = selectedId ? cy.getElementById(selectedId) : null;
    if (keep && keep.nonempty()) {
      keep.select();
      showNode(keep, false);
    } else {
      if (selectedId && initial) notes.push(`selected “${shortId(selectedId)}”: not in this view`);
      selectedId = "";
      panel.hidden = true;
      syncUrl();
    }
    showNotes();
    const status = $("network-status");
    status.dataset.nodes = String(nodes.length);
    status.dataset.edges = String(edges.length);
    status.textContent = `${nodes.length} nodes, ${edges.length} links, ${doc.counts.commitments} commitments`;
    document.body.dataset.networkReady = String(seq);
  }

  async function reload(initial) {
    const mine = ++seq;
    const params = apiParams(readState());
    $("network-status").textContent = "loading…";
    document.body.dataset.networkReady = "";
    const res = await fetch("/api/network?" + params.toString(), { headers: { Accept: "application/json" } });
    const doc = await res.json();
    if (mine !== seq) return;
    if (!res.ok) {
      $("network-status").textContent = doc.message || "error";
      return;
    }
    current = doc;
    updateExports(params);
    draw(doc, initial);
  }

  function changed() {
    notes = [];
    showNotes();
    syncUrl();
    filterSummary();
    reload(false).catch(failed);
  }

  function failed(err) {
    $("network-status").textContent = "could not load the network: " + err;
  }

  function fill(select, items) {
    for (const item of items) select.append(el("option", { value: item.id, "data-iri": item.iri }, item.label));
  }

  async function init() {
    const res = await fetch("/api/network/options");
    options = await res.json();
    fill($("f-plan"), options.plans);
    fill($("f-party"), options.parties);
    fill($("f-theme"), options.themes);
    if (!options.themes.length) $("f-theme").disabled = true;
    // the API's default roles, named as the API gives them
    const defaults = (options.default_roles || []).map((r) => ROLE_LABELS[r] || r);
    if (defaults.length) $("f-role").options[0].textContent = `default roles (${defaults.join(", ")})`;
    for (const role of options.roles) $("f-role").append(el("option", { value: role }, ROLE_LABELS[role] || role));
    const year = $("f-year");
    if (options.years.min !== null) {
      year.min = String(options.years.min);
      year.max = String(options.years.max);
      year.value = String(options.years.max);
    }
    const asked = applyQuery(location.search);
    notes = asked.notes;
    selectedId = asked.selected;
    showNotes();
    syncUrl();
    filterSummary();
    // the filters fold on a phone, and are open on a wider screen
    $("network-filters").open = !narrow();

    $("f-year-on").addEventListener("change", () => {
      year.disabled = !$("f-year-on").checked;
      $("f-year-out").textContent = year.disabled ? "all years" : year.value;
      changed();
    });
    year.addEventListener("input", () => { $("f-year-out").textContent = year.value; });
    year.addEventListener("change", changed);
    for (const id of ["f-projection", "f-plan", "f-party", "f-theme", "f-role", "f-generic", "f-rollup"]) {
      $(id).addEventListener("change", changed);
    }
    $("f-colour").addEventListener("change", () => {
      syncUrl();
      filterSummary();
      if (current) draw(current, false);
    });
    $("network-controls").addEventListener("submit", (ev) => ev.preventDefault());
    $("f-search").addEventListener("change", () => {
      const q = $("f-search").value.trim().toLowerCase();
      if (!q || !cy) return;
      const hit = cy.nodes().filter((n) => (n.data("label") || "").toLowerCase() === q)[0] ||
        cy.nodes().filter((n) => (n.data("label") || "").toLowerCase().includes(q))[0];
      if (hit) focus(hit);
    });
    $("ranking-table").tHead.addEventListener("click", (ev) => {
      const th = ev.target.closest("th[data-key]");
      if (!th) return;
      const key = th.dataset.key;
      const text = key === "label" || key === "group" || key === "rank";
      sort = sort.key === key ? { key, dir: -sort.dir } : { key, dir: text ? 1 : -1 };
      renderTable();
    });
    $("ranking-table").tBodies[0].addEventListener("click", (ev) => {
      const button = ev.target.closest("button.pick");
      if (!button || !cy) return;
      const node = cy.getElementById(button.dataset.id);
      if (node.empty()) return;
      $("network-canvas").scrollIntoView({ block: "nearest" });
      focus(node);
    });
    await reload(true);
  }

  document.addEventListener("DOMContentLoaded", () => {
    init().catch(failed);
  });
})();
