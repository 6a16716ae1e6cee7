// The search page: apply a facet as soon as its box changes; fold the filters on a narrow
// screen (they stay one tap away in their <details>). Without script the page works the same
// with the "Apply filters" button.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("search-form");
  const facets = document.getElementById("facets");
  if (!form || !facets) return;
  for (const box of facets.querySelectorAll("input[type=checkbox]")) {
    box.addEventListener("change", () => form.submit());
  }
  if (window.matchMedia("(max-width: 48rem)").matches) facets.open = false;
});
