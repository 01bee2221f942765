// Bulk actions of the contacts index (R15, R16, R22) and the progress of a bulk job.
// Progressive enhancement: without this script the "More" buttons post the selection to a
// confirmation page, the confirm forms still validate natively, and a job page shows its state on reload.
"use strict";

(function () {
  const POLL_MS = 1000;

  function selectionForm() {
    return document.getElementById("selection");
  }

  // --- "More" menu: enabled only with permission and a non-empty selection -------------------------
  function syncMenu() {
    const form = selectionForm();
    const count = form ? parseInt(form.dataset.selectedCount || "0", 10) || 0 : 0;
    document.querySelectorAll("[data-bulk-preview]").forEach((button) => {
      button.disabled = button.dataset.allowed !== "1" || count === 0;
    });
  }

  // --- The dialog: a preview fragment fetched with the selection -----------------------------------
  function dialog() {
    let element = document.getElementById("bulk-dialog");
    if (!element) {
      // Appended to <body>, never inside the selection form: the fragment holds a form of its own.
      element = document.createElement("dialog");
      element.id = "bulk-dialog";
      element.setAttribute("aria-labelledby", "bulk-dialog-title");
      document.body.appendChild(element);
    }
    return element;
  }

  function showMessage(element, text) {
    element.replaceChildren();
    const paragraph = document.createElement("p");
    paragraph.className = "msg error";
    paragraph.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.dataset.dialogClose = "";
    close.textContent = "Close";
    element.append(paragraph, close);
  }

  async function openPreview(button) {
    const form = selectionForm();
    if (!form) return;
    const data = new FormData(form);
    data.set("next", window.location.pathname + window.location.search);
    const menu = button.closest("details");
    if (menu) menu.open = false;
    const element = dialog();
    element.innerHTML = '<p class="muted">Loading…</p>';
    if (!element.open) element.showModal();
    try {
      const response = await fetch(button.formAction, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Fragment": "1" },
      });
      if (response.redirected) {
        window.location.href = response.url; // signed out meanwhile: the login page
        return;
      }
      if (response.status === 403) {
        showMessage(element, "You do not have permission to do this.");
        return;
      }
      element.innerHTML = await response.text();
      wireConfirm(element);
      const first = element.querySelector("input:not([type=hidden]), [data-confirm-submit], [data-dialog-close]");
      if (first) first.focus();
    } catch (error) {
      showMessage(element, "The preview could not be loaded. Check your connection and try again.");
    }
  }

  // --- Confirm forms: the exact number (R15) and the tier box (B4) enable the button ---------------
  function normalized(value) {
    return value.replace(/[\s,]/g, "");
  }

  function wireConfirm(root) {
    root.querySelectorAll("[data-confirm-form]").forEach((form) => {
      const number = form.querySelector("[data-expected]");
      const tier = form.querySelector("input[name=confirm_tier_upgrade]");
      const submit = form.querySelector("[data-confirm-submit]");
      const update = () => {
        const numberOk = !number || normalized(number.value) === number.dataset.expected;
        submit.disabled = !(numberOk && (!tier || tier.checked));
      };
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      form.addEventListener("submit", () => {
        submit.disabled = true; // one click, one change
      });
      update();
    });
  }

  // --- Job page: poll the job row until it is done or failed ---------------------------------------
  function renderJob(section, job) {
    const bar = section.querySelector("[role=progressbar]");
    bar.setAttribute("aria-valuenow", String(job.percent));
    section.querySelector("[data-job-bar]").style.width = job.percent + "%";
    const text = {
      percent: job.percent + "%",
      processed: job.processed.toLocaleString("en-US"),
      total: job.total.toLocaleString("en-US"),
      changed: job.changed.toLocaleString("en-US"),
      unchanged: job.unchanged.toLocaleString("en-US"),
      refused: job.refused.toLocaleString("en-US"),
      state_label: job.state_label,
      started_at: job.started_at,
      finished_at: job.finished_at,
      error: job.error,
      message: job.message,
    };
    Object.entries(text).forEach(([name, value]) => {
      const field = section.querySelector(`[data-job-field="${name}"]`);
      if (field) field.textContent = value;
    });
    const state = section.querySelector('[data-job-field="state_label"]');
    state.dataset.state = job.state;
    state.className = "badge state-" + job.state;
    section.querySelector('[data-job-field="error"]').hidden = !job.error;
    const contacts = section.querySelector("[data-job-contacts]");
    if (contacts) {
      if (job.contacts_url) contacts.querySelector("a").href = job.contacts_url;
      contacts.hidden = !job.contacts_url;
    }
    section.dataset.finished = job.finished ? "1" : "0";
  }

  function pollJob(section) {
    const tick = async () => {
      try {
        const response = await fetch(section.dataset.jobStatusUrl, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          const job = await response.json();
          renderJob(section, job);
          if (job.finished) return;
        }
      } catch (error) {
        // A dropped connection: try again at the next tick.
      }
      window.setTimeout(tick, POLL_MS);
    };
    if (section.dataset.finished !== "1") window.setTimeout(tick, POLL_MS);
  }

  // --- Wiring ------------------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const preview = event.target.closest("[data-bulk-preview]");
    if (preview && !preview.disabled) {
      event.preventDefault();
      openPreview(preview);
      return;
    }
    const close = event.target.closest("[data-dialog-close]");
    if (close) close.closest("dialog").close();
  });

  function init() {
    const form = selectionForm();
    if (form) form.addEventListener("selectionchange", syncMenu);
    if (document.querySelector("[data-bulk-preview]")) syncMenu();
    wireConfirm(document);
    document.querySelectorAll("[data-job-status-url]").forEach(pollJob);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
