// The chat widget (R7): a launcher and a panel on any site, talking to the CRM's public chat endpoints.
//   <script src="https://crm.example.com/conversations/v1/widget.js" data-chatflow="<public id>" async></script>
// It lives in a shadow root, so the host page's styles and its own do not mix. No cookies are sent: the
// conversation's token is kept in this tab's sessionStorage. New messages (agents' replies) are fetched by
// polling while the panel is open, slowing down while nothing happens. Messages are shown as text, never HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.crmChatWidget) return;
  var chatflow = script.getAttribute("data-chatflow") || "";
  var api = new URL(".", script.src).href; // …/conversations/v1/
  var minPoll = Math.max(250, parseInt(script.getAttribute("data-poll-interval"), 10) || 3000);
  var maxPoll = Math.max(minPoll, 15000);
  var storageKey = "crm-chat:" + chatflow;
  var HONEYPOT = "crm_website_confirm";
  var MAX_LENGTH = 2000;
  // Polls count against the per-address rate limit: none while the tab is hidden, and none after this long
  // without a new message until the visitor comes back to the chat (focus, typing, reopening).
  var IDLE_STOP_MS = 20 * 60 * 1000;

  var state = { token: null, lastId: 0, open: false, timer: null, interval: minPoll, busy: false, dead: false, starting: false,
    lastNews: Date.now() };
  var ui = {};

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; font-size: 14px; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: 0; border-radius: 24px;",
    "  padding: 12px 18px; background: #ff7a59; color: #fff; cursor: pointer; box-shadow: 0 2px 10px rgba(0,0,0,.2); }",
    ".panel { position: fixed; right: 20px; bottom: 76px; z-index: 2147483000; width: 340px; max-width: calc(100vw - 40px);",
    "  height: 440px; max-height: calc(100vh - 100px); display: flex; flex-direction: column; background: #fff;",
    "  color: #33475b; border: 1px solid #dfe3eb; border-radius: 8px; box-shadow: 0 4px 18px rgba(0,0,0,.18); }",
    ".panel[hidden] { display: none; }",
    "header { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px;",
    "  background: #2d3e50; color: #fff; border-radius: 8px 8px 0 0; }",
    "header button { background: none; border: 0; color: #fff; font-size: 18px; cursor: pointer; }",
    "ol { list-style: none; margin: 0; padding: 10px; flex: 1; overflow-y: auto; }",
    "li { margin: 6px 0; padding: 8px 10px; border-radius: 8px; max-width: 85%; white-space: pre-wrap; overflow-wrap: anywhere; }",
    "li.bot, li.agent { background: #f5f8fa; }",
    "li.agent { background: #fef1ec; }",
    "li.visitor { margin-left: auto; background: #0091ae; color: #fff; }",
    "form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #dfe3eb; }",
    "input.text { flex: 1; padding: 8px; border: 1px solid #cbd6e2; border-radius: 4px; }",
    "button.send { padding: 8px 12px; border: 0; border-radius: 4px; background: #ff7a59; color: #fff; cursor: pointer; }",
    "button.send:disabled { opacity: .5; cursor: default; }",
    ".status { padding: 0 10px 8px; color: #d94c53; min-height: 1em; }",
    ".hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }",
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    var host = el("div", { id: "crm-chat" });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, CSS));
    ui.launcher = el("button", { type: "button", class: "launcher", id: "crm-chat-launcher", "aria-expanded": "false" }, "Chat with us");
    ui.panel = el("section", { class: "panel", id: "crm-chat-panel", role: "dialog", "aria-label": "Chat" });
    ui.panel.hidden = true;
    var header = el("header", {}, "");
    header.appendChild(el("strong", {}, "Chat"));
    ui.close = el("button", { type: "button", "aria-label": "Close chat", id: "crm-chat-close" }, "×");
    header.appendChild(ui.close);
    ui.log = el("ol", { id: "crm-chat-log", role: "log", "aria-live": "polite" });
    ui.form = el("form", { id: "crm-chat-form", autocomplete: "off" });
    ui.input = el("input", { type: "text", class: "text", id: "crm-chat-input", maxlength: String(MAX_LENGTH),
      "aria-label": "Your message", placeholder: "Type a message…" });
    var trap = el("div", { class: "hp", "aria-hidden": "true" });
    ui.honeypot = el("input", { type: "text", name: HONEYPOT, tabindex: "-1", autocomplete: "off" });
    trap.appendChild(ui.honeypot);
    ui.send = el("button", { type: "submit", class: "send", id: "crm-chat-send" }, "Send");
    ui.form.appendChild(ui.input);
    ui.form.appendChild(trap);
    ui.form.appendChild(ui.send);
    ui.status = el("div", { class: "status", id: "crm-chat-status", role: "status" });
    [header, ui.log, ui.form, ui.status].forEach(function (node) { ui.panel.appendChild(node); });
    root.appendChild(ui.launcher);
    root.appendChild(ui.panel);
    document.body.appendChild(host);
    ui.launcher.addEventListener("click", function () { (state.open ? close : open)(); });
    ui.close.addEventListener("click", close);
    ui.form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
    ui.input.addEventListener("focus", wake);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) wake(); });
  }

  function request(method, path, body) {
    var options = { method: method, mode: "cors", credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, retryAfter: parseInt(response.headers.get("Retry-After"), 10) || 0 };
      });
    });
  }

  function show(messages, awaitingEmail) {
    (messages || []).forEach(function (message) {
      if (message.id <= state.lastId) return; // already shown (a poll and a post can overlap)
      state.lastId = message.id;
      state.lastNews = Date.now();
      var item = el("li", { class: "crm-msg " + message.sender, "data-id": String(message.id) }, message.text);
      ui.log.appendChild(item);
    });
    ui.log.scrollTop = ui.log.scrollHeight;
    if (awaitingEmail !== undefined) ui.input.placeholder = awaitingEmail ? "Type your message or email…" : "Type a message…";
  }

  function say(text) { ui.status.textContent = text || ""; }

  function unavailable() {
    state.dead = true;
    stopPolling();
    say("This chat is not available right now.");
    ui.input.disabled = ui.send.disabled = true;
  }

  function refused(result) {
    if (result.status === 404) {
      forget();
      unavailable();
    } else if (result.status === 429) {
      say("Too many messages at once. Please wait a moment.");
    } else {
      say((result.data && result.data.message) || "Something went wrong. Please try again.");
    }
  }

  function remember(token) {
    state.token = token;
    try { sessionStorage.setItem(storageKey, token); } catch (error) { /* storage may be disabled */ }
  }

  function forget() {
    state.token = null;
    try { sessionStorage.removeItem(storageKey); } catch (error) { /* storage may be disabled */ }
  }

  function stored() {
    try { return sessionStorage.getItem(storageKey); } catch (error) { return null; }
  }

  function start() {
    return request("POST", "chatflows/" + encodeURIComponent(chatflow) + "/conversations", {}).then(function (result) {
      if (result.status !== 201) return refused(result);
      remember(result.data.token);
      show(result.data.messages, result.data.awaitingEmail);
      schedule(minPoll);
    });
  }

  function resume(token) {
    state.token = token;
    return request("GET", "conversations/" + token + "/messages?after=0").then(function (result) {
      if (result.status === 404) { // expired or switched off: try a fresh conversation once
        forget();
        return start();
      }
      if (result.status !== 200) return refused(result);
      show(result.data.messages, result.data.awaitingEmail);
      schedule(minPoll);
    });
  }

  function open() {
    state.open = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    state.lastNews = Date.now();
    ui.input.focus();
    if (state.dead) return;
    if (state.token) return schedule(0);
    if (state.starting) return;
    state.starting = true;
    var token = stored();
    (token ? resume(token) : start()).catch(function () {
      say("Cannot reach the chat. Check your connection.");
    }).then(function () { state.starting = false; });
  }

  function close() {
    state.open = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    stopPolling();
  }

  function stopPolling() {
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
  }

  function schedule(delay) {
    stopPolling();
    if (!state.open || !state.token || state.dead || document.hidden) return;
    if (Date.now() - state.lastNews > IDLE_STOP_MS) return;
    state.timer = setTimeout(poll, delay);
  }

  function wake() { // the visitor is back: poll again soon
    state.lastNews = Date.now();
    state.interval = minPoll;
    if (!state.timer) schedule(0);
  }

  function poll() {
    state.timer = null;
    var before = state.lastId;
    request("GET", "conversations/" + state.token + "/messages?after=" + state.lastId).then(function (result) {
      if (result.status === 429) return schedule(Math.max(result.retryAfter * 1000, maxPoll));
      if (result.status !== 200) return refused(result);
      show(result.data.messages, result.data.awaitingEmail);
      state.interval = state.lastId > before ? minPoll : Math.min(Math.round(state.interval * 1.5), maxPoll);
      schedule(state.interval);
    }).catch(function () { schedule(maxPoll); });
  }

  function send() {
    var text = ui.input.value.trim();
    if (!text || state.busy || !state.token || state.dead) return;
    state.busy = ui.send.disabled = true;
    say("");
    var body = { text: text };
    body[HONEYPOT] = ui.honeypot.value;
    request("POST", "conversations/" + state.token + "/messages", body).then(function (result) {
      if (result.status !== 201) return refused(result);
      ui.input.value = "";
      show(result.data.messages, result.data.awaitingEmail);
      state.interval = minPoll;
      schedule(minPoll);
    }).catch(function () {
      say("Your message was not sent. Check your connection and try again.");
    }).then(function () {
      state.busy = false;
      ui.send.disabled = state.dead;
    });
  }

  window.crmChatWidget = { open: open, close: close };
  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
