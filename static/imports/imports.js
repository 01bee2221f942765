// Import pages: the upload form shows the companies file only for two-file imports, and an import's page
// polls its status until it is done or failed, then reloads once to show the rows not imported.
// Progressive enhancement: without this script both pages still work (the page shows its state on reload).
"use strict";

(function () {
  const POLL_MS = 1000;

  function wireUpload(form) {
    const companies = form.querySelector("[data-companies-file]");
    const sync = () => {
      const kind = form.querySelector("input[name=kind]:checked");
      companies.hidden = !kind || kind.value !== "multi_file";
    };
    form.addEventListener("change", sync);
    sync();
  }

  function render(section, imp) {
    const bar = section.querySelector("[role=progressbar]");
    bar.setAttribute("aria-valuenow", String(imp.percent));
    section.querySelector("[data-import-bar]").style.width = imp.percent + "%";
    const numbers = ["rows", "created", "updated", "errors", "held", "companies_created", "companies_updated", "associations"];
    const text = { percent: imp.percent + "%", state_label: imp.state_label, started_at: imp.started_at, finished_at: imp.finished_at, error: imp.error };
    numbers.forEach((name) => { text[name] = imp[name].toLocaleString("en-US"); });
    Object.entries(text).forEach(([name, value]) => {
      const field = section.querySelector(`[data-import-field="${name}"]`);
      if (field) field.textContent = value;
    });
    const state = section.querySelector('[data-import-field="state_label"]');
    state.dataset.state = imp.state;
    state.className = "badge state-" + imp.state;
    section.querySelector('[data-import-field="error"]').hidden = !imp.error;
  }

  function poll(section) {
    const tick = async () => {
      try {
        const response = await fetch(section.dataset.importStatusUrl, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          const imp = await response.json();
          render(section, imp);
          if (imp.finished) {
            window.location.reload(); // the rows not imported are listed by the server
            return;
          }
        }
      } catch (error) {
        // A dropped connection: try again at the next tick.
      }
      window.setTimeout(tick, POLL_MS);
    };
    if (section.dataset.finished !== "1") window.setTimeout(tick, POLL_MS);
  }

  function init() {
    const form = document.getElementById("upload-form");
    if (form) wireUpload(form);
    document.querySelectorAll("[data-import-status-url]").forEach(poll);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
