/*
 * inspectqa chat widget: ask questions of Ofsted's children's services inspection reports from any page.
 *
 * Embed with one tag:
 *   <script src="https://HOST/widget.js" data-endpoint="https://HOST" async></script>
 * Options (data- attributes): data-endpoint (service base URL; default: where this file came from),
 * data-mode="page" (fill data-target, or the body, with the chat instead of a launcher button),
 * data-target (a CSS selector for page mode), data-title.
 *
 * Why it is written this way:
 * - Everything lives in a shadow root, so the host page's CSS cannot restyle it and its CSS cannot leak
 *   out. Styles are a constructed stylesheet (allowed by a strict Content-Security-Policy).
 * - The answer streams from POST /ask/stream as server-sent events; EventSource cannot POST, so the
 *   stream is read with fetch + ReadableStream and parsed here.
 * - Report text and answers are untrusted: they are only ever set with textContent or as text nodes.
 */
(function () {
  "use strict";
  if (window.__inspectqaWidget) return;
  window.__inspectqaWidget = true;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var data = (script && script.dataset) || {};
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var endpoint = (data.endpoint || scriptOrigin).replace(/\/+$/, "");
  var pageMode = data.mode === "page";
  var title = data.title || "Ask the Ofsted reports";
  var MAX_HISTORY = 12; // messages sent back with a follow-up (the service caps the conversation)
  var MAX_TURN_CHARS = 1500;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var EXAMPLES = [
    "What did Ofsted say about foster carer reviews in Southend-on-Sea?",
    "What needs to improve for care leavers in Barnet?",
    "How effective are leaders in Durham?",
  ];

  var CSS = [
    ":host{all:initial;display:block;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--soft:#f3f5f8;",
    "--accent:#1d5bd8;--accent-fg:#fff;--chip:#e6eefc;--chip-fg:#133f99;--warn:#8a4b00;--warn-bg:#fff4e0;",
    "--err:#a4101b;--err-bg:#ffebee;--mark:#fff1a8;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg)}",
    "@media (prefers-color-scheme:dark){:host{--bg:#161b22;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--soft:#21262d;",
    "--accent:#4c8dff;--accent-fg:#0b1220;--chip:#1f3157;--chip-fg:#cfe0ff;--warn:#ffcf7a;--warn-bg:#3a2a0c;--err:#ffb3b8;--err-bg:#3b1216}}",
    "*{box-sizing:border-box}",
    ".data{margin:8px 0 0}.timeline-details{overflow-x:auto}.data .csv{font-size:13px}.timeline{margin:8px 0 0}.timeline figcaption{font-size:13px;color:var(--muted)}",
    ".timeline-chart{display:block;max-width:360px;color:var(--fg)}.timeline-chart a:focus-visible circle{stroke:var(--accent);stroke-width:5}",
    ".timeline-table{border-collapse:collapse;font-size:12px;margin-top:4px}.timeline-table th,.timeline-table td{border:1px solid var(--line);padding:2px 5px;text-align:left}",
    ".panel,.launcher{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);text-align:left;",
    "letter-spacing:normal;word-spacing:normal;text-transform:none;font-style:normal;font-weight:400}",
    "button,input,textarea{font:inherit;color:inherit}",
    ":focus-visible{outline:3px solid var(--accent);outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;",
    "border:0;border-radius:999px;padding:12px 18px;background:var(--accent);color:var(--accent-fg);font-weight:600;font-size:15px;",
    "cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launcher svg{width:20px;height:20px}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:min(430px,calc(100vw - 24px));",
    "height:min(700px,calc(100vh - 110px));display:flex;flex-direction:column;background:var(--bg);color:var(--fg);",
    "border:1px solid var(--line);border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.28);overflow:hidden}",
    ".panel[hidden]{display:none}",
    ".panel.page{position:relative;right:auto;bottom:auto;width:100%;max-width:880px;height:100%;min-height:480px;",
    "margin:0 auto;box-shadow:none}",
    "@media (max-width:520px){.panel:not(.page){inset:0;width:100%;height:100%;border-radius:0;border:0}}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;border-bottom:1px solid var(--line)}",
    "header h2{flex:1;margin:0;font-size:15px;line-height:1.3}",
    ".icon{border:1px solid var(--line);background:var(--soft);border-radius:8px;padding:4px 8px;font-size:13px;cursor:pointer;white-space:nowrap}",
    ".filters-box{border-bottom:1px solid var(--line);padding:8px 12px;background:var(--soft);display:grid;gap:8px}",
    ".filters-box[hidden]{display:none}",
    ".row{display:flex;gap:8px;flex-wrap:wrap;align-items:end}",
    "label{display:block;font-size:13px;color:var(--muted)}",
    "input{border:1px solid var(--line);border-radius:8px;padding:6px 8px;background:var(--bg);width:100%}",
    ".year{width:7.5em}",
    ".combo{position:relative;flex:1;min-width:180px}",
    "[role=listbox]{position:absolute;left:0;right:0;top:100%;z-index:2;margin:2px 0 0;padding:4px;list-style:none;",
    "background:var(--bg);border:1px solid var(--line);border-radius:8px;max-height:220px;overflow:auto}",
    "[role=listbox][hidden]{display:none}",
    "[role=option]{padding:5px 8px;border-radius:6px;cursor:pointer}",
    "[role=option][aria-selected=true]{background:var(--chip);color:var(--chip-fg)}",
    ".picked{display:flex;gap:6px;flex-wrap:wrap}",
    ".pill{display:inline-flex;align-items:center;gap:4px;background:var(--chip);color:var(--chip-fg);border-radius:999px;",
    "padding:2px 4px 2px 10px;font-size:13px}",
    ".pill button{border:0;background:none;cursor:pointer;padding:0 6px;color:inherit}",
    ".log{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:12px}",
    ".intro{color:var(--muted)}",
    ".intro button{display:block;text-align:left;margin:6px 0;border:1px solid var(--line);background:var(--soft);",
    "border-radius:10px;padding:6px 10px;cursor:pointer;width:100%}",
    ".msg{max-width:100%;overflow-wrap:anywhere}",
    ".user{align-self:flex-end;background:var(--accent);color:var(--accent-fg);border-radius:12px 12px 2px 12px;",
    "padding:8px 12px;max-width:85%;white-space:pre-wrap}",
    ".answer{background:var(--soft);border:1px solid var(--line);border-radius:12px 12px 12px 2px;padding:10px 12px}",
    ".answer.abstained{background:var(--warn-bg);border-color:var(--warn)}",
    ".verdict{font-weight:700;color:var(--warn);margin:0 0 4px}",
    ".body{margin:0}",
    ".notes{font-size:13px;color:var(--muted);margin:0 0 6px}",
    ".status{font-size:13px;color:var(--muted);margin-top:6px}",
    ".chip{display:inline-block;min-width:1.6em;text-align:center;margin:0 2px;padding:0 5px;border-radius:6px;",
    "background:var(--chip);color:var(--chip-fg);font-size:12px;font-weight:700;text-decoration:none;vertical-align:1px}",
    "a.chip[href]{cursor:pointer}a.chip[href]:hover{background:var(--accent);color:var(--accent-fg)}",
    ".sources{margin-top:10px;border-top:1px solid var(--line);padding-top:8px}",
    ".sources h3{font-size:13px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}",
    ".sources ol{list-style:none;margin:0;padding:0;display:grid;gap:8px}",
    ".src{display:grid;grid-template-columns:auto 1fr;gap:2px 8px;font-size:14px}",
    ".src>.chip{align-self:start;margin-top:2px}",
    ".src .meta{color:var(--fg)}.src .where{color:var(--muted);font-size:13px}",
    ".src .acts{grid-column:2;display:flex;gap:10px;flex-wrap:wrap;font-size:13px}",
    ".link{border:0;background:none;padding:0;color:var(--accent);cursor:pointer;text-decoration:underline;font-size:13px}",
    "a{color:var(--accent)}",
    "blockquote{grid-column:2;margin:4px 0 0;padding:6px 10px;border-left:3px solid var(--accent);background:var(--bg);",
    "white-space:pre-wrap;font-size:14px}",
    "blockquote[hidden]{display:none}",
    ".error{margin-top:8px;padding:8px 10px;border-radius:8px;background:var(--err-bg);color:var(--err);",
    "display:flex;gap:10px;align-items:center;flex-wrap:wrap}",
    ".error button{border:1px solid currentColor;background:var(--bg);color:var(--err);border-radius:8px;padding:3px 10px;cursor:pointer}",
    "form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid var(--line);align-items:end}",
    "textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:10px;padding:8px 10px;background:var(--bg);",
    "min-height:44px;max-height:140px}",
    ".send,.stop{border:0;border-radius:10px;padding:10px 14px;font-weight:600;cursor:pointer;min-height:44px}",
    ".send{background:var(--accent);color:var(--accent-fg)}.stop{background:var(--err-bg);color:var(--err)}",
    ".send[hidden],.stop[hidden]{display:none}",
    ".foot{font-size:12px;color:var(--muted);padding:0 12px 8px}",
    ".building{padding:10px 12px;border-bottom:1px solid var(--line);background:var(--soft);font-size:14px}",
    ".building[hidden]{display:none}.building p{margin:0 0 6px}",
    ".building progress{display:block;width:100%;height:12px;accent-color:var(--accent)}",
    ".building progress[hidden]{display:none}",
    ".building.failed{background:var(--err-bg);color:var(--err)}",
    ".cursor::after{content:'\\258D';animation:blink 1s steps(1) infinite;color:var(--muted)}",
    "@keyframes blink{50%{opacity:0}}",
    "@media (prefers-reduced-motion:reduce){.cursor::after{animation:none}}",
  ].join("\n");

  // ---------------------------------------------------------------- DOM helpers (text only, never HTML)
  function el(tag, props, kids) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "class") node.className = value;
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (kids || []).forEach(function (kid) {
      if (kid !== null && kid !== undefined) node.append(typeof kid === "string" ? document.createTextNode(kid) : kid);
    });
    return node;
  }

  function svgIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 5v2h10V9H7zm0 4v2h7v-2H7z");
    svg.append(path);
    return svg;
  }

  var uid = 0;
  function nextId(prefix) {
    uid += 1;
    return "iqa-" + prefix + "-" + uid;
  }

  function safeUrl(value) {
    try {
      var url = new URL(value, endpoint + "/");
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function displayName(name) {
    if (!name) return "Unknown authority";
    if (name !== name.toLowerCase()) return name;
    return name.replace(/(^|[\s-])([a-z])/g, function (m, sep, ch) {
      return sep + ch.toUpperCase();
    }).replace(/\b(And|Upon|On|Of|The)\b/g, function (w) { return w.toLowerCase(); }).replace(/^./, function (c) { return c.toUpperCase(); });
  }

  function formatDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? Number(m[3]) + " " + MONTHS[Number(m[2]) - 1] + " " + m[1] : "date unknown";
  }

  function viewerUrl(reportId, page, quote) {
    return endpoint + "/reports/" + encodeURIComponent(reportId) + "/view?page=" + encodeURIComponent(page || 1) +
      "&quote=" + encodeURIComponent((quote || "").slice(0, 600)) + "#highlight";
  }

  // ---------------------------------------------------------------- server-sent events over fetch
  function WidgetError(message, retryable, status) {
    this.name = "WidgetError";
    this.message = message;
    this.retryable = retryable;
    this.status = status || 0;
  }

  function detailText(body, status) {
    var detail = body && (body.detail !== undefined ? body.detail : body.message);
    if (typeof detail === "string" && detail) return detail;
    if (Array.isArray(detail) && detail.length) {
      return detail.map(function (d) { return (d && (d.msg || d.message)) || String(d); }).join("; ");
    }
    if (detail && typeof detail === "object" && detail.message) return String(detail.message);
    return status >= 500 ? "The service had a problem (HTTP " + status + ")." : "The request was refused (HTTP " + status + ").";
  }

  function httpError(response) {
    return response.text().then(function (text) {
      var body = null;
      try { body = JSON.parse(text); } catch (e) { body = null; }
      var status = response.status;
      return new WidgetError(detailText(body, status), status >= 500 || status === 429 || status === 408, status);
    });
  }

  // Split a buffer into complete events; returns what is left over (an incomplete event).
  function drainEvents(buffer, onEvent) {
    var parts = buffer.split(/\r\n\r\n|\n\n|\r\r/);
    var rest = parts.pop();
    parts.forEach(function (block) {
      var type = "message";
      var lines = [];
      block.split(/\r\n|\n|\r/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") type = value;
        else if (field === "data") lines.push(value);
      });
      if (!lines.length) return;
      var payload;
      try { payload = JSON.parse(lines.join("\n")); } catch (e) {
        throw new WidgetError("The service sent an answer this page could not read.", true);
      }
      onEvent(type, payload);
    });
    return rest;
  }

  function streamAnswer(payload, signal, onEvent) {
    return fetch(endpoint + "/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(payload),
      signal: signal,
      credentials: "omit",
    }).then(function (response) {
      if (!response.ok) return httpError(response).then(function (error) { throw error; });
      if (!response.body) return response.text().then(function (text) { drainEvents(text + "\n\n", onEvent); });
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            buffer += decoder.decode();
            drainEvents(buffer + "\n\n", onEvent);
            return;
          }
          buffer = drainEvents(buffer + decoder.decode(chunk.value, { stream: true }), onEvent);
          return pump();
        });
      }
      return pump();
    });
  }

  // ---------------------------------------------------------------- the widget
  var state = {
    open: pageMode,
    history: [],
    authorities: null,
    picked: [],
    controller: null,
    busy: false,
    ready: null, // null: not yet known; false: no index loaded yet (being built); true: answering
    pending: null, // a question asked before the index was ready: { payload, view }
  };
  var readyTimer = null;

  var host = el("div", { id: "inspectqa-widget", "data-inspectqa": "" });
  var root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", { text: CSS }));
  }

  var panelId = nextId("panel");
  var launcher = pageMode ? null : el("button", {
    class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": panelId,
    "aria-haspopup": "dialog", onclick: function () { setOpen(!state.open); },
  }, [svgIcon(), el("span", { text: "Ask the reports" })]);

  var titleId = nextId("title");
  var liveStatus = el("div", { class: "sr", role: "status", "aria-live": "polite" });
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions text", "aria-labelledby": titleId, tabindex: "0" });
  var input = el("textarea", { rows: "2", "aria-label": "Your question", placeholder: "Ask about a council's inspection…" });
  var sendButton = el("button", { class: "send", type: "submit", text: "Send" });
  var stopButton = el("button", { class: "stop", type: "button", text: "Stop", hidden: true, "aria-label": "Stop the answer", onclick: stop });
  var form = el("form", { onsubmit: function (event) { event.preventDefault(); submit(); } }, [input, sendButton, stopButton]);

  // Filters: a local-authority combobox over GET /reports, and a year range.
  var filtersId = nextId("filters");
  var listId = nextId("list");
  var laInput = el("input", {
    id: nextId("la"), type: "text", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": listId, autocomplete: "off", placeholder: "Type a council…",
  });
  var listbox = el("ul", { id: listId, role: "listbox", hidden: true, "aria-label": "Local authorities" });
  var picked = el("div", { class: "picked", "aria-live": "polite" });
  var yearFrom = el("input", { id: nextId("yf"), class: "year", type: "number", min: "2010", max: "2035", inputmode: "numeric" });
  var yearTo = el("input", { id: nextId("yt"), class: "year", type: "number", min: "2010", max: "2035", inputmode: "numeric" });
  var filtersBox = el("div", { class: "filters-box", id: filtersId, hidden: true, role: "group", "aria-label": "Filters" }, [
    el("div", { class: "row" }, [
      el("div", { class: "combo" }, [el("label", { for: laInput.id, text: "Local authority" }), laInput, listbox]),
      el("div", null, [el("label", { for: yearFrom.id, text: "From year" }), yearFrom]),
      el("div", null, [el("label", { for: yearTo.id, text: "To year" }), yearTo]),
    ]),
    picked,
  ]);
  var filtersButton = el("button", {
    class: "icon", type: "button", "aria-expanded": "false", "aria-controls": filtersId, text: "Filters",
    onclick: function () {
      var show = filtersBox.hidden;
      filtersBox.hidden = !show;
      filtersButton.setAttribute("aria-expanded", String(show));
      if (show) { laInput.focus(); loadAuthorities(); }
    },
  });
  var newButton = el("button", { class: "icon", type: "button", text: "New chat", onclick: reset });
  // While the service builds its first index: how far it is (a real progress bar), or why it failed.
  var buildText = el("p", { class: "build-text" });
  var buildBar = el("progress", { max: "1", value: "0", "aria-label": "Index build progress" });
  var buildBox = el("div", { class: "building", role: "status", hidden: true }, [buildText, buildBar]);
  var closeButton = pageMode ? null : el("button", {
    class: "icon", type: "button", "aria-label": "Close", text: "✕", onclick: function () { setOpen(false); },
  });

  var panel = el("section", {
    id: panelId, class: pageMode ? "panel page" : "panel", role: pageMode ? "region" : "dialog",
    "aria-labelledby": titleId, hidden: !pageMode,
  }, [
    el("header", null, [el("h2", { id: titleId, text: title }), filtersButton, newButton, closeButton]),
    filtersBox,
    buildBox,
    log,
    form,
    el("p", { class: "foot", text: "Answers quote Ofsted inspection reports; open a numbered source to check it on the page." }),
    liveStatus,
  ]);

  root.append(panel);
  if (launcher) root.append(launcher);
  intro();
  checkReady();

  function mount() {
    var target = pageMode && data.target ? document.querySelector(data.target) : null;
    (target || document.body).append(host);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  function announce(text) {
    liveStatus.textContent = "";
    liveStatus.textContent = text;
  }

  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    if (launcher) launcher.setAttribute("aria-expanded", String(open));
    if (open) input.focus();
    else if (launcher) launcher.focus();
  }

  function intro() {
    log.replaceChildren(el("div", { class: "intro" }, [
      el("p", { text: "Ask what Ofsted found in its inspections of local authority children's services. Every sentence of an answer is linked to the report paragraph it comes from." }),
    ].concat(EXAMPLES.map(function (question) {
      return el("button", { type: "button", text: question, onclick: function () { input.value = question; submit(); } });
    }))));
  }

  function reset() {
    stop();
    state.history = [];
    intro();
    input.value = "";
    input.focus();
    announce("New conversation");
  }

  function setBusy(busy) {
    state.busy = busy;
    sendButton.hidden = busy;
    stopButton.hidden = !busy;
  }

  function stop() {
    if (state.controller) state.controller.abort();
    if (state.pending) {
      var pending = state.pending;
      state.pending = null;
      setBusy(false);
      stopped(pending.view, pending.payload);
    }
  }

  root.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!listbox.hidden) { closeList(); event.stopPropagation(); return; }
    if (!pageMode && state.open) { event.preventDefault(); setOpen(false); }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });

  function currentFilters() {
    var filters = {};
    if (state.picked.length) filters.local_authority = state.picked.slice();
    var from = parseInt(yearFrom.value, 10);
    var to = parseInt(yearTo.value, 10);
    if (from > to) { var swap = from; from = to; to = swap; } // "2019 to 2016" means the same range
    if (!isNaN(from)) filters.year_from = from;
    if (!isNaN(to)) filters.year_to = to;
    return filters;
  }

  function submit() {
    var question = input.value.trim();
    if (!question || state.busy) return;
    if (log.querySelector(".intro")) log.replaceChildren();
    input.value = "";
    log.append(el("div", { class: "msg user", text: question }));
    var payload = { question: question, history: state.history.slice(-MAX_HISTORY) };
    var filters = currentFilters();
    if (Object.keys(filters).length) payload.filters = filters;
    var view = newAnswerView();
    if (state.ready === false) { // answered by itself once the index is ready
      state.pending = { payload: payload, view: view };
      setBusy(true);
      view.status.replaceChildren("Waiting for the index to be built; the answer follows when it is ready…");
      return;
    }
    ask(payload, view);
  }

  // ---------------------------------------------------------------- readiness: a first index being built

  function checkReady() {
    readyTimer = null;
    fetch(endpoint + "/readyz", { headers: { Accept: "application/json" }, credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (response.ok) { becomeReady(); return; }
          showBuilding(body || {});
        });
      })
      .catch(function () { if (state.ready !== true) pollReady(10000); }); // unreachable: try again later
  }

  function pollReady(delay) {
    if (!readyTimer) readyTimer = setTimeout(checkReady, delay);
  }

  function minutes(seconds) {
    if (seconds < 90) return Math.max(1, Math.round(seconds)) + " s";
    return Math.round(seconds / 60) + " min";
  }

  function showBuilding(body) {
    var build = body.build;
    var wasReady = state.ready;
    state.ready = false;
    buildBox.hidden = false;
    buildBox.classList.toggle("failed", !!(build && build.state === "failed"));
    if (build && build.state === "failed") {
      buildBar.hidden = true;
      buildText.textContent = "The index could not be built: " + (build.error || "no reason given") + ".";
      pollReady(15000);
    } else if (build) {
      var total = build.reports_total || 0;
      var done = build.state === "done" ? total : build.reports_done || 0;
      buildBar.hidden = false;
      buildBar.max = Math.max(total, 1);
      buildBar.value = Math.min(done, buildBar.max);
      buildBar.setAttribute("aria-valuetext", total ? done + " of " + total + " reports" : "starting");
      var text = build.state === "done" ? "The index is built; loading it…"
        : !total ? "Building the index of the reports: starting…"
        : "Building the index: " + done + " of " + total + " reports read (" +
          Number(build.passages || 0).toLocaleString("en-GB") + " passages" +
          (build.eta_s != null ? ", about " + minutes(build.eta_s) + " left" : "") + ").";
      buildText.textContent = text + " Questions are answered as soon as it is ready.";
      pollReady(2000);
    } else {
      buildBar.hidden = true;
      buildText.textContent = "The service cannot answer yet: " + detailText(body, 503);
      pollReady(10000);
    }
    if (wasReady !== false) announce(buildText.textContent);
  }

  function becomeReady() {
    var wasWaiting = state.ready === false;
    state.ready = true;
    buildBox.hidden = true;
    if (wasWaiting) announce("The index is ready.");
    if (state.pending) {
      var pending = state.pending;
      state.pending = null;
      clearView(pending.view);
      ask(pending.payload, pending.view);
    }
  }

  // ---------------------------------------------------------------- one answer
  function newAnswerView() {
    var view = {
      root: el("article", { class: "msg answer", "aria-label": "Answer", "data-state": "streaming" }),
      verdict: null,
      notes: el("p", { class: "notes", hidden: true }),
      body: el("p", { class: "body cursor" }),
      status: el("div", { class: "status", text: "Searching the reports…" }),
      sources: el("div", { class: "sources", hidden: true }),
      data: el("div", { class: "data", hidden: true }),
      chips: [],
      sentences: 0,
      citations: null,
      abstained: false,
      finished: false,
    };
    view.root.append(view.notes, view.body, view.data, view.sources, view.status);
    log.append(view.root);
    scrollDown();
    return view;
  }

  function clearView(view) {
    view.root.classList.remove("abstained");
    if (view.verdict) view.verdict.remove();
    view.verdict = null;
    view.body.replaceChildren();
    view.body.classList.add("cursor");
    view.sources.replaceChildren();
    view.sources.hidden = true;
    view.data.replaceChildren();
    view.data.hidden = true;
    view.notes.hidden = true;
    view.chips = [];
    view.sentences = 0;
    view.citations = null;
    view.finished = false;
    view.root.setAttribute("data-state", "streaming");
    view.status.replaceChildren("Searching the reports…");
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // Follow a growing answer down, but never scroll its beginning out of view.
  function follow(view) {
    var top = log.scrollTop + view.root.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    log.scrollTop = Math.max(0, Math.min(top, log.scrollHeight - log.clientHeight));
  }

  function ask(payload, view) {
    var controller = new AbortController();
    state.controller = controller;
    setBusy(true);
    streamAnswer(payload, controller.signal, function (type, body) { onEvent(view, type, body); })
      .then(function () {
        if (!view.finished) throw new WidgetError("The answer was cut off before it finished.", true);
        state.history.push({ role: "user", content: payload.question.slice(0, MAX_TURN_CHARS) });
        state.history.push({ role: "assistant", content: plainAnswer(view).slice(0, MAX_TURN_CHARS) });
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") { stopped(view, payload); return; }
        controller.abort(); // release a stream that failed half-way
        failed(view, payload, error);
      })
      .then(function () {
        if (state.controller === controller) state.controller = null;
        setBusy(false);
        view.body.classList.remove("cursor");
        follow(view);
      });
  }

  function plainAnswer(view) {
    return view.answerText || view.body.textContent.replace(/\s+/g, " ").trim();
  }

  function onEvent(view, type, body) {
    if (type === "meta") {
      view.abstained = !!body.abstained;
      if (view.abstained) markAbstained(view);
      var las = (body.local_authorities || []).map(displayName);
      view.status.textContent = las.length ? "Reading reports on " + las.join(", ") + "…" : "Writing the answer…";
    } else if (type === "sentence") {
      addSentence(view, body.text || "");
    } else if (type === "citations") {
      setCitations(view, body.citations || []);
    } else if (type === "done") {
      finish(view, body || {});
    } else if (type === "error") {
      var status = Number(body.status) || 500;
      throw new WidgetError(body.detail || "The service could not answer.", status >= 500, status);
    }
    follow(view);
  }

  function markAbstained(view) {
    view.root.classList.add("abstained");
    view.root.setAttribute("aria-label", "The reports don't say");
    if (!view.verdict) {
      view.verdict = el("p", { class: "verdict", text: "The reports don't say" });
      view.root.prepend(view.verdict);
    }
  }

  function addSentence(view, text) {
    var span = el("span", { class: "sentence" });
    var pattern = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text))) {
      span.append(text.slice(last, match.index));
      match[1].split(",").forEach(function (n) { span.append(chip(view, Number(n))); });
      last = pattern.lastIndex;
    }
    span.append(text.slice(last));
    if (view.sentences) view.body.append(" ");
    view.body.append(span);
    view.sentences += 1;
  }

  function chip(view, n) {
    var node = el("a", { class: "chip", "data-n": n, "aria-label": "Source " + n, text: String(n) });
    view.chips.push(node);
    if (view.citations) linkChip(view, node);
    return node;
  }

  function findCitation(view, n) {
    return (view.citations || []).filter(function (c) { return Number(c.n) === n; })[0] || null;
  }

  function describe(c) {
    var parts = [displayName(c.local_authority), formatDate(c.publication_date)];
    if (c.page) parts.push("page " + c.page);
    return parts.join(", ");
  }

  function linkChip(view, node) {
    var c = findCitation(view, Number(node.getAttribute("data-n")));
    if (!c) return;
    node.setAttribute("href", viewerUrl(c.report_id, c.page, c.quote));
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener");
    node.setAttribute("aria-label", "Source " + c.n + ": " + describe(c) + " (opens the highlighted page)");
    node.setAttribute("title", describe(c));
  }

  function setCitations(view, citations) {
    view.citations = citations;
    view.chips.forEach(function (node) { linkChip(view, node); });
    renderSources(view, citations.map(function (c) {
      return { n: c.n, report_id: c.report_id, local_authority: c.local_authority, publication_date: c.publication_date,
        section: c.section, paragraphs: c.paragraphs, page: c.page, quote: c.quote, url: c.url };
    }), view.abstained ? "Nearest passages" : "Sources");
  }

  function passageSources(passages) {
    return passages.slice(0, 3).map(function (p, i) {
      var pages = p.pages || [];
      var text = String(p.text || "");
      var first = (/^[\s\S]{40,400}?[.!?](\s|$)/.exec(text) || [text.slice(0, 300)])[0].trim();
      return { n: i + 1, report_id: p.report_id, local_authority: p.local_authority, publication_date: p.publication_date,
        section: p.section, paragraphs: p.paragraphs, page: p.page || pages[0] || 1, quote: first, excerpt: text, url: p.url };
    });
  }

  function renderSources(view, items, heading) {
    view.sources.replaceChildren();
    if (!items.length) { view.sources.hidden = true; return; }
    var list = el("ol");
    items.forEach(function (item) {
      var quoteId = nextId("quote");
      var quote = el("blockquote", { id: quoteId, hidden: true, text: item.excerpt || item.quote || "" });
      var toggle = el("button", {
        class: "link", type: "button", "aria-expanded": "false", "aria-controls": quoteId, text: "Show quote",
        onclick: function () {
          var show = quote.hidden;
          quote.hidden = !show;
          toggle.setAttribute("aria-expanded", String(show));
          toggle.textContent = show ? "Hide quote" : "Show quote";
        },
      });
      var where = [];
      if (item.section) where.push(item.section);
      var paras = (item.paragraphs || []).filter(Boolean);
      if (paras.length) where.push((paras.length > 1 ? "paragraphs " : "paragraph ") + paras.join(", "));
      where.push("page " + (item.page || 1));
      var view_ = viewerUrl(item.report_id, item.page, item.quote);
      var original = safeUrl(item.url);
      list.append(el("li", { class: "src", "data-report": item.report_id }, [
        el("a", { class: "chip", href: view_, target: "_blank", rel: "noopener", text: String(item.n),
          "aria-label": "Open source " + item.n + " at the highlighted page" }),
        el("div", null, [
          el("div", { class: "meta" }, [el("strong", { text: displayName(item.local_authority) }), " · " + formatDate(item.publication_date)]),
          el("div", { class: "where", text: where.join(" · ") }),
        ]),
        el("div", { class: "acts" }, [
          toggle,
          el("a", { href: view_, target: "_blank", rel: "noopener", text: "Open page " + (item.page || 1) }),
          original ? el("a", { href: original, target: "_blank", rel: "noopener", text: "Ofsted PDF" }) : null,
        ]),
        quote,
      ]));
    });
    view.sources.append(el("h3", { text: heading }), list);
    view.sources.hidden = false;
  }

  function finish(view, body) {
    view.finished = true;
    view.answerText = typeof body.answer === "string" ? body.answer : null;
    if (body.abstained && !view.abstained) { view.abstained = true; markAbstained(view); }
    if (!view.sentences && view.answerText) addSentence(view, view.answerText);
    if (!view.citations && Array.isArray(body.citations)) setCitations(view, body.citations);
    if (view.abstained && !(view.citations && view.citations.length) && Array.isArray(body.passages)) {
      renderSources(view, passageSources(body.passages), "Nearest passages");
    }
    if (body.data && typeof body.data === "object") {
      // A structured answer (a list, a trend, a summary) labels its groups: show its whole text.
      if (!view.abstained && view.answerText) {
        view.body.replaceChildren();
        view.chips = [];
        view.sentences = 0;
        view.answerText.split(/\n{2,}/).forEach(function (part, i) {
          if (i) view.body.append(el("br"), el("br"));
          addSentence(view, part);
        });
      }
      renderData(view, body.data);
    }
    var lines = [];
    if (body.intent && body.intent.label) {
      lines.push(body.intent.label + (body.intent.from_history ? " (from the conversation)" : ""));
    }
    if (Array.isArray(body.notes) && body.notes.length) lines.push("Note: " + body.notes.join("; "));
    if (lines.length) {
      view.notes.textContent = lines.join(" · ");
      view.notes.hidden = false;
    }
    view.status.replaceChildren();
    view.status.hidden = true;
    view.root.setAttribute("data-state", view.abstained ? "abstained" : "done");
    announce(view.abstained ? "The reports don't say. Nearest passages listed." : "Answer complete with " + (view.citations || []).length + " sources.");
  }

  // Structured data behind an answer: the whole list as CSV, a council's judgement timeline.
  var timelineScript = null;
  function loadTimeline() {
    if (window.inspectqaTimeline) return Promise.resolve(window.inspectqaTimeline);
    if (!timelineScript) {
      timelineScript = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = endpoint + "/static/timeline.js";
        script.async = true;
        script.onload = function () { resolve(window.inspectqaTimeline); };
        script.onerror = reject;
        document.head.append(script);
      });
    }
    return timelineScript;
  }

  function renderData(view, data) {
    var rows = Array.isArray(data.rows) ? data.rows.length : 0;
    if (typeof data.csv_url === "string" && data.csv_url.charAt(0) === "/") {
      view.data.append(el("p", { class: "csv" }, [el("a", {
        href: endpoint + data.csv_url, target: "_blank", rel: "noopener",
        text: "The whole list as CSV (" + rows + " row" + (rows === 1 ? "" : "s") + ")",
      })]));
      view.data.hidden = false;
    }
    if (data.timeline && Array.isArray(data.timeline.inspections)) {
      var host = el("div", { class: "timeline-host" });
      view.data.append(host);
      view.data.hidden = false;
      loadTimeline().then(function (draw) { if (draw) draw(host, data.timeline, { endpoint: endpoint }); })
        .catch(function () { host.textContent = "The judgement timeline could not be loaded."; });
    }
  }

  function stopped(view, payload) {
    view.status.hidden = false;
    view.status.replaceChildren("Stopped. ", retryButton(view, payload, "Ask again"));
    view.root.setAttribute("data-state", "stopped");
    announce("Stopped");
  }

  function failed(view, payload, error) {
    var retryable = !(error instanceof WidgetError) || error.retryable;
    var message = error instanceof WidgetError ? error.message
      : "Could not reach the service. Check your connection and try again.";
    view.status.hidden = false;
    view.status.replaceChildren(el("div", { class: "error", role: "alert" }, [
      el("span", { text: message }),
      retryable ? retryButton(view, payload, "Retry") : null,
    ]));
    if (!retryable && !input.value) input.value = payload.question;
    view.root.setAttribute("data-state", "error");
    announce(message);
  }

  function retryButton(view, payload, label) {
    return el("button", {
      type: "button", class: "retry", text: label,
      onclick: function () {
        view.status.hidden = false;
        clearView(view);
        ask(payload, view);
        input.focus();
      },
    });
  }

  // ---------------------------------------------------------------- local-authority combobox
  var active = -1;
  var shown = [];

  function loadAuthorities() {
    if (state.authorities) return Promise.resolve(state.authorities);
    return fetch(endpoint + "/reports", { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.json(); })
      .then(function (body) {
        var reports = Array.isArray(body) ? body : body.reports || body.items || [];
        var names = {};
        reports.forEach(function (r) { if (r && r.local_authority) names[r.local_authority] = true; });
        state.authorities = Object.keys(names).sort(function (a, b) { return a.localeCompare(b); });
        if (document.activeElement === host && root.activeElement === laInput) updateList();
        return state.authorities;
      })
      .catch(function () {
        state.authorities = null;
        announce("Could not load the list of local authorities.");
        return [];
      });
  }

  function updateList() {
    var query = laInput.value.trim().toLowerCase();
    var names = (state.authorities || []).filter(function (name) { return state.picked.indexOf(name) < 0; });
    var starts = names.filter(function (n) { return n.toLowerCase().indexOf(query) === 0; });
    var contains = names.filter(function (n) { return query && n.toLowerCase().indexOf(query) > 0; });
    shown = (query ? starts.concat(contains) : names).slice(0, 8);
    active = shown.length ? 0 : -1;
    listbox.replaceChildren.apply(listbox, shown.map(function (name, i) {
      return el("li", {
        id: listId + "-" + i, role: "option", "aria-selected": String(i === active), text: displayName(name),
        onmousedown: function (event) { event.preventDefault(); pick(name); },
      });
    }));
    var open = shown.length > 0 && !!(query || laInput === root.activeElement);
    listbox.hidden = !open;
    laInput.setAttribute("aria-expanded", String(open));
    highlight();
  }

  function highlight() {
    Array.prototype.forEach.call(listbox.children, function (option, i) {
      option.setAttribute("aria-selected", String(i === active));
    });
    if (active >= 0 && !listbox.hidden) laInput.setAttribute("aria-activedescendant", listId + "-" + active);
    else laInput.removeAttribute("aria-activedescendant");
  }

  function closeList() {
    listbox.hidden = true;
    laInput.setAttribute("aria-expanded", "false");
    laInput.removeAttribute("aria-activedescendant");
  }

  function pick(name) {
    if (state.picked.indexOf(name) < 0) state.picked.push(name);
    laInput.value = "";
    closeList();
    renderPicked();
    laInput.focus();
    announce(displayName(name) + " added to the filters");
  }

  function renderPicked() {
    picked.replaceChildren.apply(picked, state.picked.map(function (name) {
      return el("span", { class: "pill" }, [
        displayName(name),
        el("button", {
          type: "button", "aria-label": "Remove " + displayName(name), text: "✕",
          onclick: function () {
            state.picked = state.picked.filter(function (n) { return n !== name; });
            renderPicked();
            laInput.focus();
          },
        }),
      ]);
    }));
    filtersButton.textContent = state.picked.length ? "Filters (" + state.picked.length + ")" : "Filters";
  }

  laInput.addEventListener("focus", function () { loadAuthorities().then(updateList); });
  laInput.addEventListener("input", updateList);
  laInput.addEventListener("blur", function () { setTimeout(closeList, 100); });
  laInput.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (listbox.hidden) { updateList(); return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      active = shown.length ? (active + step + shown.length) % shown.length : -1;
      highlight();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (!listbox.hidden && active >= 0) pick(shown[active]);
    }
  });
})();
