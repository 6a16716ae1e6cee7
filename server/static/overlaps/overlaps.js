// The overlap report: submit the filter form as soon as a filter changes.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("overlap-filters");
  if (!form) return;
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.submit());
  }
});
