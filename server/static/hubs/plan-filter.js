// The plan page's filter box: hides the steps (table rows) that do not contain every
// word typed, and the sections left with no visible step. Without this script the box
// stays hidden and the page lists everything.
(function () {
  "use strict";
  const form = document.getElementById("step-filter");
  const input = document.getElementById("step-filter-q");
  const status = document.getElementById("step-filter-status");
  const none = document.getElementById("step-filter-none");
  if (!form || !input) return;
  const rows = Array.from(document.querySelectorAll("tr.step-row"));
  const texts = rows.map((r) => r.textContent.toLowerCase().replace(/\s+/g, " "));
  const sections = Array.from(document.querySelectorAll("section.plan-section"));
  const total = rows.length;
  const noun = (n) => (n === 1 ? "step" : "steps");

  function apply() {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((row, i) => {
      const match = words.every((w) => texts[i].includes(w));
      row.hidden = !match;
      if (match) shown += 1;
    });
    // a section stays visible while it (or a section inside it) holds a visible row
    sections.forEach((s) => {
      s.hidden = words.length > 0 && !s.querySelector("tr.step-row:not([hidden])");
    });
    document.querySelectorAll(".plan-section table.activities").forEach((t) => {
      t.hidden = words.length > 0 && !t.querySelector("tr.step-row:not([hidden])");
    });
    status.textContent = words.length
      ? `${shown} of ${total} ${noun(total)} match`
      : `${total} ${noun(total)}`;
    if (none) none.hidden = shown > 0;
  }

  form.hidden = false;
  form.addEventListener("submit", (e) => e.preventDefault());
  input.addEventListener("input", apply);
  if (input.value) apply();
})();
