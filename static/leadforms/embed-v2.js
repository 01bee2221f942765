/*
 * Forms embed script, served at /forms/embed/v2.js. It exposes HubSpot's embed API, so a HubSpot
 * embed code pointed at this server works unchanged:
 *
 *   <script src="https://crm.example.com/forms/embed/v2.js"></script>
 *   <script>hbspt.forms.create({ portalId: "1", formId: "<form guid>", target: "#here" });</script>
 *
 * create() fetches the form's public definition, renders it into `target` (a CSS selector or an
 * element; without one, just before the calling script), posts the values as JSON to HubSpot's
 * submission endpoint, shows the field errors the server returns, then the thank-you message (or
 * follows the redirect). Options also honoured: onFormReady(form), onFormSubmit(form),
 * onFormSubmitted(form, data). No cookies are sent; nothing is loaded from anywhere else.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var source = new URL(script ? script.src : "/forms/embed/v2.js", window.location.href);
  var BASE = source.origin + source.pathname.replace(/\/forms\/embed\/v2\.js$/, "");
  var CONTACT = "0-1";
  var MESSAGES = {
    REQUIRED_FIELD: "Please complete this required field.",
    INVALID_EMAIL: "Please enter a valid email address.",
    INPUT_TOO_LARGE: "This value is too long.",
    VALUE_NOT_IN_FIELD_DEFINITION: "Please select one of the options.",
  };
  var STYLE =
    ".hs-form-field{margin-bottom:14px}.hs-form-field label{display:block;font-weight:600;margin-bottom:4px}" +
    ".hs-form-required{color:#d94c53;margin-left:2px}.hs-error-msgs{list-style:none;margin:4px 0 0;padding:0;" +
    "color:#d94c53;font-size:13px}.hs-form input[type=text],.hs-form input[type=email],.hs-form input[type=tel]," +
    ".hs-form select{width:100%;box-sizing:border-box;font:inherit;padding:8px 10px;border:1px solid #cbd6e2;" +
    "border-radius:3px}.hs-form [aria-invalid=true]{border-color:#d94c53}";

  function addStyle() {
    if (document.getElementById("crm-forms-style")) return;
    var style = document.createElement("style");
    style.id = "crm-forms-style";
    style.textContent = STYLE;
    document.head.appendChild(style);
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function resolveTarget(target, caller) {
    if (target && typeof target === "object") return target;
    if (typeof target === "string") return document.querySelector(target);
    var host = element("div", { class: "hbspt-form" });
    if (caller && caller.parentNode) caller.parentNode.insertBefore(host, caller);
    else document.body.appendChild(host);
    return host;
  }

  function input(field, id) {
    if (field.fieldType === "select") {
      var select = element("select", { id: id, name: field.name });
      select.appendChild(element("option", { value: "" }, "Please select"));
      field.options.forEach(function (option) {
        select.appendChild(element("option", { value: option.value }, option.label));
      });
      return select;
    }
    var attributes = { id: id, name: field.name, type: field.fieldType || "text" };
    if (field.fieldType === "email") attributes.autocomplete = "email";
    return element("input", attributes);
  }

  function renderField(field, formId) {
    var id = "hs-" + field.name + "-" + formId;
    var wrapper = element("div", { class: "hs-form-field", "data-field": field.name });
    var label = element("label", { for: id }, field.label);
    if (field.required) label.appendChild(element("span", { class: "hs-form-required", "aria-hidden": "true" }, "*"));
    var control = input(field, id);
    if (field.required) control.setAttribute("aria-required", "true");
    wrapper.appendChild(label);
    wrapper.appendChild(control);
    return wrapper;
  }

  function honeypot(name) {
    var box = element("div", { "aria-hidden": "true" });
    box.style.cssText = "position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden";
    var label = element("label", {}, "Leave this field empty ");
    label.appendChild(element("input", { type: "text", name: name, tabindex: "-1", autocomplete: "off" }));
    box.appendChild(label);
    return box;
  }

  function render(host, definition) {
    var form = element("form", {
      class: "hs-form crm-form",
      novalidate: "",
      "data-form-id": definition.guid,
      "data-hs-do-not-collect": "true",
    });
    form.appendChild(element("ul", { class: "hs-error-msgs crm-form-errors", role: "alert", hidden: "" }));
    definition.fields.forEach(function (field) {
      form.appendChild(renderField(field, definition.guid));
    });
    form.appendChild(honeypot(definition.honeypotField));
    var submit = element("div", { class: "hs-submit" });
    submit.appendChild(element("input", { type: "submit", class: "hs-button primary", value: definition.submitText }));
    form.appendChild(submit);
    host.replaceChildren(form);
    return form;
  }

  function clearErrors(form) {
    form.querySelectorAll(".hs-form-field .hs-error-msgs").forEach(function (list) {
      list.remove();
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (control) {
      control.removeAttribute("aria-invalid");
    });
    var general = form.querySelector(".crm-form-errors");
    general.replaceChildren();
    general.hidden = true;
  }

  function showError(form, fieldName, message) {
    var wrapper = fieldName && form.querySelector('.hs-form-field[data-field="' + CSS.escape(fieldName) + '"]');
    if (!wrapper) {
      var general = form.querySelector(".crm-form-errors");
      general.appendChild(element("li", {}, message));
      general.hidden = false;
      return;
    }
    if (wrapper.querySelector(".hs-error-msgs")) return;
    var list = element("ul", { class: "hs-error-msgs", "data-error-for": fieldName });
    list.appendChild(element("li", {}, message));
    wrapper.appendChild(list);
    wrapper.querySelector("input, select").setAttribute("aria-invalid", "true");
  }

  function showErrors(form, body) {
    var errors = (body && body.errors) || [];
    if (!errors.length) showError(form, null, (body && body.message) || "The form could not be sent. Try again.");
    errors.forEach(function (error) {
      var match = /'fields\.([^']+)'/.exec(error.message || "");
      var text = MESSAGES[error.errorType] || (error.message || "").replace(/^Error in '[^']*'\. /, "");
      showError(form, match && match[1], text);
    });
  }

  function values(form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name || control.type === "submit") return;
      fields.push({ objectTypeId: CONTACT, name: control.name, value: control.value });
    });
    return fields;
  }

  function submitted(form, definition, answer, options, fields) {
    if (typeof options.onFormSubmitted === "function") {
      options.onFormSubmitted(form, { redirectUrl: answer.redirectUri || "", submissionValues: fields });
    }
    if (answer.redirectUri) {
      window.location.href = answer.redirectUri;
      return;
    }
    var message = element("div", { class: "submitted-message", role: "status" });
    message.textContent = answer.inlineMessage || definition.inlineMessage;
    form.replaceWith(message);
  }

  function onSubmit(form, definition, options, event) {
    event.preventDefault();
    if (typeof options.onFormSubmit === "function") options.onFormSubmit(form);
    clearErrors(form);
    var button = form.querySelector(".hs-button");
    button.disabled = true;
    var fields = values(form);
    var url = BASE + "/submissions/v3/integration/submit/" + encodeURIComponent(options.portalId) + "/" +
      encodeURIComponent(options.formId);
    var body = { fields: fields, context: { pageUri: window.location.href, pageName: document.title } };
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    })
      .then(function (response) {
        return response.json().catch(function () {
          return {};
        }).then(function (answer) {
          if (response.ok) submitted(form, definition, answer, options, fields);
          else showErrors(form, answer);
        });
      })
      .catch(function () {
        showError(form, null, "The form could not be sent. Check your connection and try again.");
      })
      .finally(function () {
        button.disabled = false;
      });
  }

  function create(options) {
    options = options || {};
    var host = resolveTarget(options.target, document.currentScript);
    if (!host) return;
    var url = BASE + "/forms/v2/definition/" + encodeURIComponent(options.portalId) + "/" +
      encodeURIComponent(options.formId);
    fetch(url, { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error("form " + options.formId + ": " + response.status);
        return response.json();
      })
      .then(function (definition) {
        addStyle();
        var form = render(host, definition);
        form.addEventListener("submit", onSubmit.bind(null, form, definition, options));
        if (typeof options.onFormReady === "function") options.onFormReady(form);
      })
      .catch(function (error) {
        if (window.console) window.console.warn("The form could not be loaded:", error);
      });
  }

  window.hbspt = window.hbspt || {};
  window.hbspt.forms = window.hbspt.forms || {};
  window.hbspt.forms.create = create;
})();
