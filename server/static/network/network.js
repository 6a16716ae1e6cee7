// The network page: reads /api/network/options and /api/network, draws with Cytoscape.js.
// No inline script or style (the page's Content-Security-Policy allows none); the DOM is
// built with createElement / textContent only.
(function () {
  "use strict";

  const PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
    "#e6550d", "#31a354",
  ];
  const ID_BASE = "https://w3id.org/plangraph/";
  const ROLE_LABELS = {
    lead: "lead", responsible: "responsible", "implementing-partner": "implementing partner",
    support: "support", resourcing: "resourcing", participant: "participant",
  };
  const $ = (id) => document.getElementById(id);
  let cy = null;
  let current = null; // the last /api/network answer
  let options = null;
  let seq = 0;

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
    return iri.startsWith(ID_BASE) ? "/" + iri.slice(ID_BASE.length) : iri;
  }

  function short(iri) {
    return iri ? iri.split("/").pop() : "";
  }

  function list(value) {
    return value ? String(value).split(";").filter(Boolean) : [];
  }

  function params() {
    const p = new URLSearchParams();
    p.set("projection", $("f-projection").value);
    for (const [id, name] of [["f-plan", "plan"], ["f-party", "party"], ["f-theme", "theme"], ["f-role", "role"]]) {
      if ($(id).value) p.set(name, $(id).value);
    }
    if ($("f-year-on").checked) p.set("year", $("f-year").value);
    p.set("generic", $("f-generic").checked ? "true" : "false");
    if ($("f-rollup").checked) p.set("rollup", "true");
    return p;
  }

  function fill(select, items) {
    for (const item of items) select.append(el("option", { value: item.id }, item.label));
  }

  function colourKey(data) {
    if ($("f-colour").value === "kind") return data.kind || "";
    return data.party_code || (data.type === "agency" ? "" : data.type || "");
  }

  function colours(nodes) {
    const keys = [...new Set(nodes.map((n) => colourKey(n.data)))].sort();
    const map = {};
    keys.forEach((k, i) => { map[k] = i % PALETTE.length; });
    return map;
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

  function legend(cmap, maxLoad) {
    const box = $("network-legend");
    box.replaceChildren();
    box.append(el("strong", {}, $("f-colour").value === "kind" ? "Kind" : "Party"));
    const ul = el("ul");
    for (const [key, i] of Object.entries(cmap)) {
      const name = key || "no party (international)";
      ul.append(el("li", {}, el("span", { class: `swatch c${i}` }), name));
    }
    box.append(ul);
    box.append(el("strong", {}, "Obligation load (size)"));
    const sizes = el("ul");
    for (const [cls, text] of [["s1", "1"], ["s2", String(Math.round(maxLoad / 2))], ["s3", String(maxLoad)]]) {
      sizes.append(el("li", {}, el("span", { class: `size ${cls}` }), `${text} commitments`));
    }
    box.append(sizes);
    box.append(el("p", { class: "muted" },
      "Dashed border: catch-all group or a party named instead of an agency. " +
      "Edge width: shared activities. Labels of small nodes show on hover, selection or zoom."));
  }

  function elements(doc) {
    const nodes = doc.elements.nodes;
    const cmap = colours(nodes);
    let maxLoad = 1;
    let maxWeight = 1;
    for (const n of nodes) {
      n.data.size = n.data.obligation_load || 0;
      maxLoad = Math.max(maxLoad, n.data.size);
      n.data.colour = n.data.type === "step" ? "#c3cad5" : PALETTE[cmap[colourKey(n.data)]];
    }
    for (const e of doc.elements.edges) maxWeight = Math.max(maxWeight, e.data.weight || 1);
    return { nodes, edges: doc.elements.edges, cmap, maxLoad, maxWeight };
  }

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

  function showNode(node) {
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
    t.append(metricRow("obligation load", d.obligation_load));
    for (const role of Object.keys(ROLE_LABELS)) {
      if (d[`load_${role}`]) t.append(metricRow(`  as ${ROLE_LABELS[role]}`, d[`load_${role}`]));
    }
    t.append(metricRow("partners (degree)", d.degree));
    t.append(metricRow("weighted degree", d.weighted_degree));
    t.append(metricRow("betweenness", d.betweenness));
    t.append(metricRow("PageRank", d.pagerank));
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
  }

  function focus(node) {
    cy.elements().unselect();
    node.select();
    cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1.2) }, { duration: 300 });
    showNode(node);
  }

  function draw(doc) {
    const { nodes, edges, cmap, maxLoad, maxWeight } = elements(doc);
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
    cy.on("tap", "node", (ev) => showNode(ev.target));
    cy.on("tap", "edge", (ev) => showEdge(ev.target));
    cy.on("mouseover", "node", (ev) => ev.target.addClass("hover"));
    cy.on("mouseout", "node", (ev) => ev.target.removeClass("hover"));
    legend(cmap, maxLoad);
    const names = $("agency-names");
    names.replaceChildren();
    for (const n of nodes.filter((x) => x.data.type !== "step").map((x) => x.data.label).sort()) {
      names.append(el("option", { value: n }));
    }
    const status = $("network-status");
    status.dataset.nodes = String(nodes.length);
    status.dataset.edges = String(edges.length);
    status.textContent = `${nodes.length} nodes, ${edges.length} links, ${doc.counts.commitments} commitments`;
    document.body.dataset.networkReady = String(seq);
  }

  async function reload() {
    const mine = ++seq;
    $("network-status").textContent = "loading…";
    document.body.dataset.networkReady = "";
    const res = await fetch("/api/network?" + params().toString(), { headers: { Accept: "application/json" } });
    const doc = await res.json();
    if (mine !== seq) return;
    if (!res.ok) {
      $("network-status").textContent = doc.message || "error";
      return;
    }
    current = doc;
    $("network-panel").hidden = true;
    draw(doc);
  }

  async function init() {
    const res = await fetch("/api/network/options");
    options = await res.json();
    fill($("f-plan"), options.plans);
    fill($("f-party"), options.parties);
    fill($("f-theme"), options.themes);
    if (!options.themes.length) $("f-theme").disabled = true;
    for (const role of options.roles) $("f-role").append(el("option", { value: role }, ROLE_LABELS[role] || role));
    const year = $("f-year");
    if (options.years.min !== null) {
      year.min = String(options.years.min);
      year.max = String(options.years.max);
      year.value = String(options.years.max);
    }
    $("f-year-on").addEventListener("change", () => {
      year.disabled = !$("f-year-on").checked;
      $("f-year-out").textContent = year.disabled ? "all years" : year.value;
      reload();
    });
    year.addEventListener("input", () => { $("f-year-out").textContent = year.value; });
    year.addEventListener("change", reload);
    for (const id of ["f-projection", "f-plan", "f-party", "f-theme", "f-role", "f-generic", "f-rollup"]) {
      $(id).addEventListener("change", reload);
    }
    $("f-colour").addEventListener("change", () => current && draw(current));
    $("network-controls").addEventListener("submit", (ev) => ev.preventDefault());
    $("f-search").addEventListener("change", () => {
      const q = $("f-search").value.trim().toLowerCase();
      if (!q || !cy) return;
      const hit = cy.nodes().filter((n) => (n.data("label") || "").toLowerCase() === q)[0] ||
        cy.nodes().filter((n) => (n.data("label") || "").toLowerCase().includes(q))[0];
      if (hit) focus(hit);
    });
    await reload();
  }

  document.addEventListener("DOMContentLoaded", () => {
    init().catch((err) => { $("network-status").textContent = "could not load the network: " + err; });
  });
})();
