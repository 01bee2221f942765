/*
 * Non-HubSpot forms collector (R6), served at /collected-forms/v1/collector.js. Include it once on a
 * page of your own site:
 *
 *   <script src="https://crm.example.com/collected-forms/v1/collector.js" data-portal-id="1" async></script>
 *
 * It listens for `submit` on every ordinary <form> of the page and sends the form's fields to the
 * intake endpoint with a keepalive request (or a beacon), so the request survives the page's own
 * navigation. It never blocks, delays, cancels or changes the page's submit. It skips forms marked
 * `data-hs-do-not-collect="true"` (and the forms of the embed script), and never reads passwords,
 * files, hidden inputs, nor fields that look like card or identity numbers. No cookies are sent.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var source = new URL(script.src, window.location.href);
  var BASE = source.origin + source.pathname.replace(/\/collected-forms\/v1\/collector\.js$/, "");
  var PORTAL = script.getAttribute("data-portal-id") || "";
  var ENDPOINT = BASE + "/collected-forms/v1/submit/" + encodeURIComponent(PORTAL);
  var SKIPPED_TYPES = ["password", "file", "hidden", "submit", "button", "reset", "image"];
  var SENSITIVE = /(^|[^a-z])(pass(word|wd)?|pwd|card|cc|cvc|cvv|ccv|csc|ssn|iban|pin)([^a-z]|$)|credit|password/i;

  function luhn(digits) {
    var total = 0;
    for (var index = 0; index < digits.length; index++) {
      var value = Number(digits[digits.length - 1 - index]) * (index % 2 ? 2 : 1);
      total += value > 9 ? value - 9 : value;
    }
    return total % 10 === 0;
  }

  function looksLikeCardNumber(value) {
    var digits = value.replace(/[ -]/g, "");
    return /^\d{13,19}$/.test(digits) && luhn(digits);
  }

  function sensitive(control, name) {
    var hints = name + " " + (control.id || "") + " " + (control.getAttribute("autocomplete") || "");
    return SENSITIVE.test(hints.replace(/([a-z])([A-Z])/g, "$1 $2")) || looksLikeCardNumber(control.value || "");
  }

  function fields(form) {
    var captured = [];
    Array.prototype.forEach.call(form.elements, function (control) {
      var name = control.name || control.id;
      var type = (control.type || "").toLowerCase();
      if (!name || control.disabled || SKIPPED_TYPES.indexOf(type) !== -1) return;
      if ((type === "checkbox" || type === "radio") && !control.checked) return;
      if (sensitive(control, name)) return;
      var value = control.value;
      if (type === "select-multiple") {
        value = Array.prototype.filter.call(control.options, function (option) {
          return option.selected;
        }).map(function (option) {
          return option.value;
        }).join(";");
      }
      captured.push({ name: name, value: value, type: type || control.tagName.toLowerCase() });
    });
    return captured;
  }

  function collected(form) {
    return !(form.getAttribute("data-hs-do-not-collect") === "true" || form.classList.contains("hs-form"));
  }

  function send(body) {
    var text = JSON.stringify(body);
    try {
      // text/plain keeps it a simple cross-origin request: no preflight to wait for while the page unloads.
      fetch(ENDPOINT, {
        method: "POST",
        body: text,
        keepalive: true,
        credentials: "omit",
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
      }).catch(function () {});
    } catch (error) {
      if (navigator.sendBeacon) navigator.sendBeacon(ENDPOINT, new Blob([text], { type: "text/plain;charset=UTF-8" }));
    }
  }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !collected(form)) return;
    try {
      send({
        pageUrl: window.location.origin + window.location.pathname,  // queries often carry tokens: not sent
        pageTitle: document.title,
        formId: form.getAttribute("id") || "",
        formName: form.getAttribute("name") || "",
        formPosition: Array.prototype.indexOf.call(document.forms, form),
        fields: fields(form),
      });
    } catch (error) {
      // The page's own submit must go on whatever happens here.
    }
  }

  // The capture phase sees every form's submit, even when the page stops its propagation.
  document.addEventListener("submit", onSubmit, true);
})();
