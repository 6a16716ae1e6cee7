// The query page: YASGUI (vendored, /static/vendor/yasgui) pointed at this server's /sparql,
// with the catalog queries (embedded as JSON by the server) as ready examples. No request
// goes to another origin: prefix and vocabulary autocompletion services are switched off.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const examples = JSON.parse(document.getElementById("catalog-queries").textContent);
  const endpoint = new URL("/sparql", window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [] },
    persistenceId: "plangraph-query",
    yasqe: { autocompleters: ["variables"] },
  });
  window.plangraphYasgui = yasgui;

  const byName = new Map(examples.map((q) => [q.name, q]));
  document.querySelectorAll("#examples button.example").forEach((button) => {
    button.addEventListener("click", () => {
      const q = byName.get(button.dataset.name);
      if (!q) return;
      const tab = yasgui.getTab();
      tab.setQuery(q.query);
      tab.getYasqe().setValue(q.query);
      tab.query();
    });
  });
});
