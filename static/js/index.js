// The contacts index: the selection (row boxes, the page box, "select all matching") and tidy filter URLs.
//
// The selection lives in <form id="selection">: row boxes join it with form="selection"; "select all
// matching" sets its hidden select_all=1 and query=<the view's filters>. Its data-selected-count is
// kept current and a "selectionchange" event (detail: count, allMatching, ids) is dispatched on it at
// every change, for the toolbar's bulk actions and lists.
"use strict";

(function () {
  const form = document.getElementById("selection");
  if (!form) return;
  const pageBox = document.getElementById("select-page");
  const banner = document.getElementById("select-all-banner");
  const countLabel = document.getElementById("selected-count");
  const selectAllInput = form.querySelector('input[name="select_all"]');
  const queryInput = form.querySelector('input[name="query"]');
  const boxes = Array.from(document.querySelectorAll('input[type="checkbox"][name="ids"][form="selection"]'));
  const total = parseInt(form.dataset.total || "0", 10) || 0;
  let allMatching = false;

  function pickedIds() {
    return boxes.filter((box) => box.checked).map((box) => box.value);
  }

  function showBanner(pageFull) {
    // Offer "all matching" only when the view holds more than this page.
    banner.hidden = !(pageFull && (total > boxes.length || form.dataset.totalExact !== "true"));
    banner.querySelectorAll("[data-when]").forEach((element) => {
      element.hidden = (element.dataset.when === "all") !== allMatching;
    });
  }

  function render() {
    const ids = pickedIds();
    const pageFull = boxes.length > 0 && ids.length === boxes.length;
    if (!pageFull) allMatching = false;
    selectAllInput.value = allMatching ? "1" : "0";
    queryInput.value = allMatching ? form.dataset.query : "";
    const count = allMatching ? total : ids.length;
    form.dataset.selectedCount = String(count);
    form.dataset.selectAll = allMatching ? "1" : "0";
    pageBox.checked = pageFull;
    pageBox.indeterminate = ids.length > 0 && !pageFull;
    countLabel.textContent = (allMatching ? form.dataset.totalLabel : ids.length.toLocaleString("en-US")) + " selected";
    showBanner(pageFull);
    form.dispatchEvent(new CustomEvent("selectionchange", { bubbles: true, detail: { count, allMatching, ids } }));
  }

  pageBox.addEventListener("change", () => {
    boxes.forEach((box) => { box.checked = pageBox.checked; });
    allMatching = false;
    render();
  });
  boxes.forEach((box) => box.addEventListener("change", () => { allMatching = false; render(); }));
  document.getElementById("select-all-matching").addEventListener("click", () => { allMatching = true; render(); });
  document.getElementById("clear-selection").addEventListener("click", () => {
    boxes.forEach((box) => { box.checked = false; });
    allMatching = false;
    render();
  });
  // The browser may restore checked boxes on "back": start from what is on screen.
  render();
})();

(function () {
  // Leave empty filters and default settings out of the URL, so that it reads as the view it shows.
  const filters = document.getElementById("filters");
  if (!filters) return;
  filters.addEventListener("submit", () => {
    const columns = Array.from(filters.querySelectorAll('input[type="checkbox"][name="columns"]'));
    const allColumns = columns.every((box) => box.checked);
    filters.querySelectorAll("input, select").forEach((field) => {
      const empty = field.value === "" || field.value === "unknown";
      const defaultValue = (field.name === "per_page" && field.value === "50") ||
        (field.name === "sort" && field.value === "-created") || (field.name === "columns" && allColumns);
      if (field.name && (empty || defaultValue)) field.disabled = true;
    });
  });
  // Disabled fields stay disabled when the page comes back from the cache ("back"): re-enable them.
  window.addEventListener("pageshow", () => {
    filters.querySelectorAll("input, select").forEach((field) => {
      field.disabled = field.name === "columns" && field.value === "name" && field.type === "checkbox";
    });
  });
})();
