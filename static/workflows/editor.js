// The workflow editor: show only the inputs of each filter's type and operator and of each action's kind,
// and suggest the options of enumeration properties. Without this script every input is shown and the
// page works the same (adding, removing and moving rows are server round trips that keep what was typed).
"use strict";

(function () {
  const VALUELESS = ["HAS_PROPERTY", "NOT_HAS_PROPERTY"];

  function field(row, name) {
    return row.querySelector(`[name$="-${name}"]`);
  }

  function syncFilter(row) {
    const type = field(row, "type").value || "property";
    row.querySelectorAll("[data-filter-type]").forEach((part) => {
      part.hidden = part.dataset.filterType !== type;
    });
    const operator = field(row, "operator").value;
    row.querySelector("[data-value-input]").hidden = VALUELESS.includes(operator);
    row.querySelector("[data-high-value-input]").hidden = operator !== "BETWEEN";
    const property = field(row, "property").value;
    const value = field(row, "value");
    if (document.getElementById("wf-options-" + property)) value.setAttribute("list", "wf-options-" + property);
    else value.removeAttribute("list");
  }

  function syncAction(row) {
    const kind = field(row, "kind").value;
    row.querySelectorAll("[data-action-kind]").forEach((part) => {
      part.hidden = !part.dataset.actionKind.split(" ").includes(kind);
    });
    const mode = field(row, "delay_mode").value || "duration";
    row.querySelectorAll("[data-delay-mode]").forEach((part) => {
      part.hidden = part.dataset.delayMode !== mode;
    });
  }

  function init() {
    const form = document.getElementById("workflow-editor");
    if (!form) return;
    const filters = () => form.querySelectorAll("[data-filter-row]");
    const actions = () => form.querySelectorAll("[data-action-row]");
    filters().forEach(syncFilter);
    actions().forEach(syncAction);
    form.addEventListener("change", (event) => {
      const filter = event.target.closest("[data-filter-row]");
      if (filter) syncFilter(filter);
      const action = event.target.closest("[data-action-row]");
      if (action) syncAction(action);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
