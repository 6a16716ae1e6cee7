// The query page: a SPARQL editor (YASQE, from the vendored YASGUI bundle) over this server's
// /sparql, the catalog queries as examples with a form for their parameters, and a result
// table that people can read. Nothing here talks to another origin.
//
// - An example runs with its parameters: the server binds them (/api/queries/{name}/text,
//   the catalog API's own checks) and the editor shows the bound text, which is what runs.
// - Prefixes: before sending, the PREFIX lines of the predeclared prefixes a query uses
//   without declaring them are added at the top of the editor (/sparql stays standard).
// - Results: labels beside IRIs (/api/labels, one request), graph IRIs open their local
//   /id/ page, numbers as numbers, language tags and datatypes small.
// - Errors: the message, line and column, the position marked in the editor.
// - Keyboard: Esc then Tab (or Shift+Tab) leaves the editor; nothing takes focus on load.
"use strict";

(() => {
  const DATA = JSON.parse(document.getElementById("query-page-data").textContent);
  const ID_BASE = DATA.idBase;
  const PREFIXES = DATA.prefixes;
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  const NUMERIC = new Set(
    [
      "integer", "decimal", "double", "float", "int", "long", "short", "byte",
      "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
      "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
    ].map((t) => XSD + t)
  );
  const PLAIN = new Set([XSD + "string", RDF + "langString", XSD + "boolean"]);
  const PAGE_ROWS = 200; // rows drawn at a time
  const MAX_LABELLED = 10000; // IRIs sent to /api/labels (its limit)
  const DEFAULT_QUERY = `# The agencies with the most commitments. The page declares the prefixes
# it knows (pg:, skos:, ...: see "Prefixes you need not declare") when a query uses them.
SELECT ?agency (COUNT(?commitment) AS ?commitments)
WHERE {
  ?commitment a pg:Commitment ;
              pg:agency ?agency .
}
GROUP BY ?agency
ORDER BY DESC(?commitments)
LIMIT 10
`;

  const examples = new Map(DATA.examples.map((q) => [q.name, q]));
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };

  // ---------------------------------------------------------------------------------------
  // Prefixed names in a query: a small scanner that skips comments, strings and IRIs.

  const WORD = /[\p{L}_][\p{L}\p{N}_.\-]*/uy;
  const LOCAL = /(?:[\p{L}\p{N}_.\-:]|%[0-9A-Fa-f]{2}|\\.)*/uy;
  const IRI = /<[^<>"{}|^`\\\s]*>/y;

  /** {declared: Map prefix -> IRI, used: [{prefix, index}]} of a query text. */
  function scanPrefixes(text) {
    const declared = new Map();
    const used = [];
    let i = 0;
    let afterPrefixKeyword = false; // the next prefixed name declares, it is not a use
    let declaring = null; // a prefix whose IRI comes next
    const match = (re) => {
      re.lastIndex = i;
      const m = re.exec(text);
      return m ? m[0] : null;
    };
    while (i < text.length) {
      const c = text[i];
      if (c === "#") {
        const end = text.indexOf("\n", i);
        i = end < 0 ? text.length : end + 1;
      } else if (c === '"' || c === "'") {
        const long = text.startsWith(c.repeat(3), i);
        const quote = long ? c.repeat(3) : c;
        i += quote.length;
        while (i < text.length && !text.startsWith(quote, i)) {
          if (!long && text[i] === "\n") break;
          i += text[i] === "\\" ? 2 : 1;
        }
        i += quote.length;
      } else if (c === "<") {
        const iri = match(IRI);
        if (iri && declaring !== null) declared.set(declaring, iri.slice(1, -1));
        declaring = null;
        i += iri ? iri.length : 1;
      } else if (c === "?" || c === "$" || c === "@") {
        i += 1;
        i += (match(WORD) || "").length; // a variable or a language tag
      } else if (/[\p{L}_:]/u.test(c)) {
        const word = c === ":" ? "" : match(WORD) || "";
        const start = i;
        i += word.length;
        if (text[i] === ":" && !word.endsWith(".") && word !== "_") {
          i += 1;
          if (afterPrefixKeyword) declaring = word;
          else used.push({ prefix: word, index: start });
          afterPrefixKeyword = false;
          i += (match(LOCAL) || "").length;
        } else {
          afterPrefixKeyword = word.toUpperCase() === "PREFIX";
          if (text[i] === ":") i += 1; // "_:" of a blank node
          if (word === "") i += 1;
        }
      } else if (/[0-9]/.test(c)) {
        i += 1;
        while (i < text.length && /[\p{L}\p{N}_.]/u.test(text[i])) i += 1;
      } else {
        i += 1;
      }
    }
    return { declared, used };
  }

  /** Undeclared prefixes of a query: [known (predeclared) names, unknown uses]. */
  function undeclared(text) {
    const { declared, used } = scanPrefixes(text);
    const known = [];
    const unknown = [];
    for (const use of used) {
      if (declared.has(use.prefix)) continue;
      if (Object.prototype.hasOwnProperty.call(PREFIXES, use.prefix)) {
        if (!known.includes(use.prefix)) known.push(use.prefix);
      } else {
        unknown.push(use);
      }
    }
    return { known, unknown };
  }

  // ---------------------------------------------------------------------------------------
  // The editor

  // YASQE's prefix completer with this page's prefixes instead of prefix.cc (another
  // origin): typing "skos:" adds its PREFIX line at once, "PREFIX s" offers the known ones.
  Yasgui.Yasqe.forkAutocompleter(
    "prefixes",
    {
      name: "plangraph-prefixes",
      get: Object.entries(PREFIXES).map(([name, iri]) => `${name}: <${iri}>`),
      persistenceId: "plangraph-prefixes",
    },
    false
  );
  // Only these completers: the bundle's defaults also ask prefix.cc and LOV (other origins),
  // and the options merge arrays item by item, so the default list is emptied first.
  Yasgui.Yasqe.defaults.autocompleters = [];
  const yasqe = new Yasgui.Yasqe($("editor"), {
    value: DEFAULT_QUERY,
    persistenceId: "plangraph-query-editor",
    consumeShareLink: null,
    createShareableLink: null,
    showQueryButton: false,
    autocompleters: ["variables", "plangraph-prefixes"],
    resizeable: true,
    editorHeight: "18rem",
    // the editable element inside the scrolled area (screen readers, phones; and the
    // scrolled area then holds focusable content)
    inputStyle: "contenteditable",
    requestConfig: { endpoint: new URL("/sparql", window.location.href).href },
    extraKeys: {
      "Ctrl-Enter": () => run(),
      "Cmd-Enter": () => run(),
      Esc: () => {}, // the keydown handler below: Esc then Tab leaves the editor
    },
  });
  const input = yasqe.getInputField();
  input.setAttribute("aria-label", "SPARQL query");
  input.setAttribute("aria-describedby", "editor-keys");

  // CodeMirror's accessibility advice: Tab indents, and Esc then Tab (or Shift+Tab) moves
  // focus on. The Tab is left to the browser (codemirrorIgnore), which moves focus from the
  // editor's input to the next (previous) control.
  let escaped = false;
  yasqe.on("keydown", (_cm, event) => {
    if (event.key === "Escape") {
      escaped = true;
    } else if (event.key === "Tab" && escaped) {
      event.codemirrorIgnore = true;
      escaped = false;
    } else if (!["Shift", "Control", "Alt", "Meta"].includes(event.key)) {
      escaped = false;
    }
  });
  yasqe.on("blur", () => {
    escaped = false;
  });

  /** Add the PREFIX lines of predeclared prefixes the query uses but does not declare, at
   * the top of the editor (after its leading comments). Returns the prefixes added. */
  function declarePrefixes() {
    const { known } = undeclared(yasqe.getValue());
    if (!known.length) return [];
    let line = 0;
    while (line < yasqe.lineCount() && /^\s*(#.*)?$/.test(yasqe.getLine(line))) line += 1;
    if (line >= yasqe.lineCount()) line = 0;
    const lines = known.map((p) => `PREFIX ${p}: <${PREFIXES[p]}>\n`).join("");
    yasqe.replaceRange(lines, { line, ch: 0 });
    return known;
  }

  // ---------------------------------------------------------------------------------------
  // Examples and their parameters

  const form = $("example-form");
  const select = $("example");
  const fields = $("example-fields");
  let loaded = null; // {name, values, text}: the example last loaded into the editor

  function fieldId(name) {
    return `param-${name}`;
  }

  function paramField(param, value) {
    const id = fieldId(param.name);
    const help = [param.description];
    if (param.default !== undefined) help.push(`default: ${labelOf(param, param.default)}`);
    else if (!param.required) help.push("optional: leave empty for every value");
    else help.push("required");
    let control;
    const choices = param.kind ? DATA.choices[param.kind] || [] : [];
    if (choices.length) {
      control = el("select", { id, name: param.name });
      if (!param.required || param.default === undefined) {
        const none = param.required ? "Choose…" : `any ${param.kind}`;
        control.append(el("option", { value: "", text: none }));
      }
      const groups = new Map();
      for (const choice of choices) {
        let parent = control;
        if (choice.group) {
          if (!groups.has(choice.group)) {
            groups.set(choice.group, el("optgroup", { label: choice.group }));
            control.append(groups.get(choice.group));
          }
          parent = groups.get(choice.group);
        }
        parent.append(el("option", { value: choice.value, text: choice.label }));
      }
      let wanted = value !== undefined ? value : param.default || "";
      if (wanted && !choices.some((c) => c.value === wanted)) {
        // a link may name a value as the site's other pages do (khm/mosvy, khm, a slug)
        const short = choices.filter((c) => c.value.endsWith(`/${wanted}`));
        if (short.length === 1) wanted = short[0].value;
      }
      if (wanted && !choices.some((c) => c.value === wanted)) {
        control.prepend(el("option", { value: wanted, text: wanted })); // from a link: checked on run
      }
      control.value = wanted;
    } else {
      const number = param.type === "year" || param.type === "integer";
      control = el("input", {
        id,
        name: param.name,
        type: number ? "number" : "text",
        step: number ? "1" : null,
        inputmode: param.type === "iri" ? "url" : null,
        spellcheck: "false",
        autocomplete: "off",
        placeholder: param.type === "iri" ? "https://…" : null,
      });
      control.value = value !== undefined ? value : param.default || "";
    }
    control.setAttribute("aria-describedby", `${id}-help ${id}-error`);
    return el(
      "div",
      { class: "field" },
      el("label", { for: id, text: `${param.name} (${param.type})` }),
      control,
      el("p", { class: "field-help", id: `${id}-help`, text: help.join(" · ") }),
      el("p", { class: "field-error", id: `${id}-error`, hidden: true })
    );
  }

  function labelOf(param, value) {
    const choices = param.kind ? DATA.choices[param.kind] || [] : [];
    const found = choices.find((c) => c.value === value);
    return found ? found.label : value;
  }

  function showExample(name, values = {}) {
    const q = examples.get(name);
    clearFormErrors();
    fields.replaceChildren();
    $("example-question").textContent = q ? q.question : "";
    $("example-params").hidden = !q || !q.params.length;
    if (!q) return;
    for (const param of q.params) fields.append(paramField(param, values[param.name]));
  }

  function clearFormErrors() {
    $("example-error").hidden = true;
    for (const node of form.querySelectorAll(".field-error")) {
      node.hidden = true;
      node.textContent = "";
    }
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  function fieldError(name, message) {
    const control = $(fieldId(name));
    if (!control) return false;
    const note = $(`${fieldId(name)}-error`);
    note.textContent = message;
    note.hidden = false;
    control.setAttribute("aria-invalid", "true");
    control.focus();
    return true;
  }

  function formError(message) {
    $("example-error").textContent = message;
    $("example-error").hidden = false;
  }

  /** The example's parameter values from the form (empty fields left out), or null when a
   * number field holds something the browser cannot read as a number. */
  function formValues(q) {
    const values = {};
    for (const param of q.params) {
      const control = $(fieldId(param.name));
      if (control.validity && control.validity.badInput) {
        fieldError(param.name, "Not a number: type digits only.");
        return null;
      }
      if (control.value.trim() !== "") values[param.name] = control.value.trim();
    }
    return values;
  }

  function exampleUrl(name, values) {
    const params = new URLSearchParams({ example: name, ...values });
    return `/query?${params}`;
  }

  /** Bind the example's values on the server (the catalog API's checks), show the text in
   * the editor and run it. An invalid value shows its field's error and runs nothing. */
  async function loadExample(run_ = true) {
    const q = examples.get(select.value);
    clearFormErrors();
    if (!q) {
      formError("Choose an example first.");
      select.focus();
      return;
    }
    const values = formValues(q);
    if (values === null) return;
    let response;
    try {
      response = await fetch(
        `/api/queries/${encodeURIComponent(q.name)}/text?${new URLSearchParams(values)}`
      );
    } catch (exc) {
      formError(`Could not reach the server (${exc.message}).`);
      return;
    }
    if (!response.ok) {
      const error = await errorBody(response);
      const message = error.message.replace(/^parameter '[^']*': /, "");
      if (!(error.param && fieldError(error.param, message))) formError(message);
      return;
    }
    const text = await response.text();
    yasqe.setValue(text);
    showBoundValues();
    loaded = { name: q.name, values, text };
    history.replaceState(null, "", exampleUrl(q.name, values));
    if (run_) await run();
  }

  /** Mark the VALUES line the server added and scroll the editor to it (not the page). */
  function showBoundValues() {
    for (let line = yasqe.lineCount() - 1; line >= 0; line--) {
      if (/^\s*VALUES \(\?/.test(yasqe.getLine(line))) {
        yasqe.addLineClass(line, "background", "bound-values");
        yasqe.scrollIntoView({ line, ch: 0 }, 40);
        return;
      }
    }
  }

  select.addEventListener("change", () => showExample(select.value));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadExample();
  });

  // ---------------------------------------------------------------------------------------
  // Running a query

  const status = $("status");
  const results = $("results");
  const errorBox = $("query-error");
  let controller = null;
  let marks = [];

  function clearMarks() {
    for (const mark of marks) mark.clear();
    marks = [];
  }

  async function errorBody(response) {
    try {
      const body = await response.json();
      if (body && typeof body.message === "string") return body;
    } catch (_exc) {
      // not JSON: fall through
    }
    return { message: `${response.status} ${response.statusText}`.trim() };
  }

  async function run() {
    const added = declarePrefixes();
    const query = yasqe.getValue();
    if (!query.trim()) {
      status.textContent = "The query is empty.";
      return;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = controller;
    clearMarks();
    errorBox.hidden = true;
    errorBox.replaceChildren();
    status.textContent = "Running…";
    results.setAttribute("aria-busy", "true");
    updateLinks(query);
    const started = performance.now();
    try {
      let response;
      let body;
      try {
        response = await fetch("/sparql", {
          method: "POST",
          // Turtle first: this endpoint reads "application/sparql-results+json" as "json",
          // which for a CONSTRUCT or DESCRIBE means JSON-LD
          headers: { Accept: "text/turtle, application/sparql-results+json;q=0.9" },
          body: new URLSearchParams({ query }),
          signal: mine.signal,
        });
        body = response.ok ? await response.text() : null;
      } catch (exc) {
        if (exc.name === "AbortError") return;
        results.replaceChildren();
        showError({ message: `Could not reach the server (${exc.message}).` }, query, 0);
        return;
      }
      if (mine !== controller) return;
      if (!response.ok) {
        const error = await errorBody(response);
        results.replaceChildren();
        showError(error, query, response.status);
        return;
      }
      await showResults(response, body, query, Math.round(performance.now() - started), added, mine);
    } finally {
      if (mine === controller) results.removeAttribute("aria-busy");
    }
  }

  async function showResults(response, body, query, ms, added, mine) {
    const addedNote = added.length ? ` Declared for you: ${added.map((p) => p + ":").join(" ")}.` : "";
    const truncated = response.headers.get("X-Plangraph-Truncated") === "true";
    const cut = truncated ? ` Cut at the server's limit of ${DATA.maxRows.toLocaleString("en")}.` : "";
    const ctype = response.headers.get("Content-Type") || "";
    if (ctype.startsWith("application/sparql-results+json")) {
      const doc = JSON.parse(body);
      if (typeof doc.boolean === "boolean") {
        results.replaceChildren(el("p", { class: "boolean", text: doc.boolean ? "true" : "false" }));
        status.textContent = `Answer: ${doc.boolean ? "yes" : "no"} (${ms} ms).${addedNote}`;
        return;
      }
      const rows = doc.results.bindings;
      const labels = await fetchLabels(rows);
      if (mine !== controller) return;
      drawTable(doc.head.vars || [], rows, labels);
      const n = rows.length;
      status.textContent = `${n.toLocaleString("en")} result${n === 1 ? "" : "s"} in ${ms} ms.${cut}${addedNote}`;
      return;
    }
    const count = Number(response.headers.get("X-Plangraph-Rows") || "0");
    results.replaceChildren(
      el(
        "div",
        { class: "results-scroll", tabindex: "0", role: "region", "aria-label": "Result graph" },
        el("pre", { class: "graph", text: body })
      )
    );
    const n = `${count.toLocaleString("en")} triple${count === 1 ? "" : "s"}`;
    status.textContent = `${n} (Turtle) in ${ms} ms.${cut}${addedNote}`;
  }

  function updateLinks(query) {
    const share = $("share");
    const url =
      loaded && query === loaded.text
        ? exampleUrl(loaded.name, loaded.values)
        : `/query#query=${encodeURIComponent(query)}`;
    share.href = url;
    share.hidden = false;
    history.replaceState(null, "", url);
    const download = $("download");
    download.elements.query.value = query;
    download.hidden = false;
  }

  $("run").addEventListener("click", () => run());

  // ---------------------------------------------------------------------------------------
  // Errors

  const ERROR_TITLES = {
    "query-error": "The query could not be run",
    "query-refused": "The query was refused",
    "query-timeout": "The query ran out of time",
    "rate-limited": "Too many queries at once",
  };

  /** The editor position (CodeMirror) of a parser's line and column (1-based, counted in
   * characters, i.e. code points). */
  function editorPos(line, column) {
    const l = Math.min(Math.max(line - 1, 0), yasqe.lineCount() - 1);
    const text = yasqe.getLine(l);
    return { line: l, ch: Array.from(text).slice(0, Math.max(column - 1, 0)).join("").length };
  }

  function markAt(pos) {
    const text = yasqe.getLine(pos.line);
    let from = pos.ch;
    let to = pos.ch;
    const part = /[\p{L}\p{N}_:.\-?$]/u;
    while (from > 0 && part.test(text[from - 1])) from -= 1;
    while (to < text.length && part.test(text[to])) to += 1;
    if (from === to) {
      if (to < text.length) to += 1;
      else if (from > 0) from -= 1;
    }
    const mark = yasqe.markText(
      { line: pos.line, ch: from },
      { line: pos.line, ch: to },
      { className: "query-error-mark", title: "the error is here" }
    );
    const lineMark = yasqe.addLineClass(pos.line, "background", "query-error-line");
    marks.push(mark, { clear: () => yasqe.removeLineClass(lineMark, "background", "query-error-line") });
  }

  function expectedList(detail) {
    const m = /^expected (?:one of )?(.*)$/s.exec(detail);
    if (!m) return null;
    const items = m[1]
      .replace(/\[[^\]]*\]/g, "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s && s !== "Prefix not found");
    return items.length ? items : null;
  }

  function showError(error, query, httpStatus) {
    errorBox.replaceChildren();
    const kind = error.error || (httpStatus ? "error" : "network");
    errorBox.append(el("h3", { text: ERROR_TITLES[kind] || "The query failed" }));
    const raw = error.message.replace(/^parameter 'query': /, "");
    const where = /^malformed query at line (\d+), column (\d+): (.*)$/s.exec(raw);
    const parts = [];
    if (where || error.line) {
      const line = where ? Number(where[1]) : error.line;
      const column = where ? Number(where[2]) : 1;
      const pos = editorPos(line, column);
      markAt(pos);
      const button = el("button", { type: "button", class: "link-button", text: "Show in the editor" });
      button.addEventListener("click", () => {
        yasqe.focus();
        yasqe.setCursor(pos);
        yasqe.scrollIntoView(pos, 40);
      });
      parts.push(
        el(
          "p",
          { class: "where" },
          el("strong", { text: `Syntax error at line ${line}, column ${column}.` }),
          " ",
          button
        )
      );
      yasqe.scrollIntoView(pos, 40);
    }
    const { unknown } = undeclared(query);
    const prefixProblem = unknown.length || /Prefix not found/.test(raw);
    if (unknown.length) {
      const names = [...new Set(unknown.map((u) => u.prefix))];
      for (const use of unknown) {
        const line = query.slice(0, use.index).split("\n").length;
        const column = Array.from(query.slice(query.lastIndexOf("\n", use.index - 1) + 1, use.index)).length + 1;
        markAt(editorPos(line, column));
      }
      const first = unknown[0];
      const line = query.slice(0, first.index).split("\n").length;
      parts.push(
        el(
          "p",
          {},
          `The prefix ${names.map((n) => n + ":").join(", ")} (first used on line ${line}) is not ` +
            "declared, and is not one the page knows. Declare it at the top, e.g. ",
          el("code", { text: `PREFIX ${names[0]}: <http://example.org/ns#>` }),
          ", or write the full IRI in angle brackets."
        )
      );
    } else if (prefixProblem) {
      parts.push(
        el("p", { text: "A prefix used here is not declared: add a PREFIX line for it at the top of the query." })
      );
    }
    const detail = where ? where[3] : raw;
    const expected = where ? expectedList(detail) : null;
    if (expected && !prefixProblem) {
      parts.push(el("p", { text: `The parser expected one of: ${expected.join(", ")}.` }));
    }
    if (!where) parts.push(el("p", { class: "message", text: raw }));
    errorBox.append(...parts);
    if (where) {
      errorBox.append(
        el(
          "details",
          {},
          el("summary", { text: "The parser's message" }),
          el("pre", { class: "message", text: raw })
        )
      );
    }
    errorBox.hidden = false;
    status.textContent = where ? `Error at line ${where[1]}, column ${where[2]}.` : "The query failed.";
  }

  // ---------------------------------------------------------------------------------------
  // Results

  async function fetchLabels(rows) {
    const iris = new Set();
    for (const row of rows) {
      for (const term of Object.values(row)) {
        if (term.type === "uri" && iris.size < MAX_LABELLED) iris.add(term.value);
      }
      if (iris.size >= MAX_LABELLED) break;
    }
    if (!iris.size) return {};
    try {
      const response = await fetch("/api/labels", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ iris: [...iris] }),
      });
      return response.ok ? (await response.json()).labels : {};
    } catch (_exc) {
      return {}; // the table without labels
    }
  }

  const NAMESPACES = Object.entries(PREFIXES).sort((a, b) => b[1].length - a[1].length);

  function compact(iri) {
    for (const [name, ns] of NAMESPACES) {
      if (iri.startsWith(ns) && iri.length > ns.length) return `${name}:${iri.slice(ns.length)}`;
    }
    return iri;
  }

  function iriNode(iri, labels) {
    const local = iri.startsWith(ID_BASE) ? "/id/" + iri.slice(ID_BASE.length) : null;
    const link = el("a", {
      class: "iri",
      href: local || iri,
      title: iri,
      text: compact(iri),
      target: local ? null : "_blank",
      rel: local ? null : "noopener noreferrer external",
    });
    const label = labels[iri];
    return label ? [link, " ", el("span", { class: "label", text: label })] : [link];
  }

  function cell(term, labels) {
    const td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.append(...iriNode(term.value, labels));
    } else if (term.type === "bnode") {
      td.append(el("span", { class: "bnode", text: `_:${term.value}` }));
    } else if (term.type === "triple") {
      td.append(el("span", { class: "triple", text: "<< … >>" }));
    } else {
      const datatype = term.datatype;
      const lang = term["xml:lang"];
      if (datatype && NUMERIC.has(datatype)) {
        td.className = "num";
        td.title = compact(datatype);
        td.textContent = term.value;
      } else {
        if (term.value.length > 80) td.className = "long";
        td.append(el("span", { class: "literal", text: term.value }));
        if (lang) td.append(" ", el("span", { class: "lang", title: "language", text: lang }));
        else if (datatype && !PLAIN.has(datatype)) {
          td.append(" ", el("span", { class: "datatype", title: datatype, text: compact(datatype) }));
        }
      }
    }
    return td;
  }

  function sortKey(term, labels) {
    if (!term) return [2, ""];
    if (term.datatype && NUMERIC.has(term.datatype)) return [0, Number(term.value)];
    if (term.type === "uri") return [1, (labels[term.value] || compact(term.value)).toLowerCase()];
    return [1, term.value.toLowerCase()];
  }

  function drawTable(vars, rows, labels) {
    let order = rows.map((_, i) => i);
    let shown = 0;
    let shownBefore = 0;
    let sortedBy = null;
    let ascending = true;
    const table = el("table", { class: "result-table" });
    const headRow = el("tr", {}, el("th", { scope: "col", class: "rownum", text: "#" }));
    const headers = vars.map((name, col) => {
      const button = el("button", { type: "button", class: "sort", text: name });
      const th = el("th", { scope: "col" }, button);
      button.addEventListener("click", () => {
        ascending = sortedBy === col ? !ascending : true;
        sortedBy = col;
        const keys = rows.map((row) => sortKey(row[name], labels));
        order = rows.map((_, i) => i);
        order.sort((a, b) => {
          const [ka, kb] = [keys[a], keys[b]];
          const c = ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0);
          return (ascending ? c : -c) || a - b;
        });
        headers.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        body.replaceChildren();
        shown = 0;
        more(Math.max(PAGE_ROWS, shownBefore));
      });
      headRow.append(th);
      return th;
    });
    const body = el("tbody");
    table.append(el("thead", {}, headRow), body);
    const moreBar = el("p", { class: "more" });
    function more(count) {
      const end = Math.min(rows.length, shown + count);
      const fragment = document.createDocumentFragment();
      for (let i = shown; i < end; i++) {
        const row = rows[order[i]];
        const tr = el("tr", {}, el("td", { class: "rownum", text: String(i + 1) }));
        for (const name of vars) tr.append(cell(row[name], labels));
        fragment.append(tr);
      }
      body.append(fragment);
      shown = end;
      shownBefore = shown;
      moreBar.replaceChildren();
      if (shown < rows.length) {
        const next = el("button", { type: "button", text: `Show ${Math.min(PAGE_ROWS, rows.length - shown)} more` });
        const all = el("button", { type: "button", text: `Show all ${rows.length.toLocaleString("en")}` });
        next.addEventListener("click", () => more(PAGE_ROWS));
        all.addEventListener("click", () => more(rows.length));
        moreBar.append(`Showing ${shown.toLocaleString("en")} of ${rows.length.toLocaleString("en")} rows. `, next, " ", all);
      }
    }
    const box = el(
      "div",
      { class: "results-scroll", tabindex: "0", role: "region", "aria-label": "Result table" },
      table
    );
    results.replaceChildren(box, moreBar);
    if (!rows.length) {
      body.append(el("tr", {}, el("td", { colspan: String(vars.length + 1), class: "empty", text: "No results." })));
      return;
    }
    more(PAGE_ROWS);
  }

  // ---------------------------------------------------------------------------------------
  // On load: an example from the URL (?example=name&param=...), or a query (#query=...).
  // Nothing takes focus.

  function fromUrl() {
    const params = new URLSearchParams(window.location.search);
    const name = params.get("example");
    if (name !== null) {
      params.delete("example");
      if (!examples.has(name)) {
        formError(`There is no example named “${name}”.`);
        return;
      }
      select.value = name;
      showExample(name, Object.fromEntries(params));
      loadExample();
      return;
    }
    const hash = new URLSearchParams(window.location.hash.slice(1));
    const query = hash.get("query") || params.get("query");
    if (query) {
      yasqe.setValue(query);
      run();
    }
  }

  showExample(select.value);
  declarePrefixes(); // the starting (or last) query, as it would run
  fromUrl();
  window.plangraphQuery = { yasqe, run, scanPrefixes };
})();
