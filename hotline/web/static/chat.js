// Web chat: REST to send, WebSocket to receive. No third-party code, nothing kept after the tab closes.
(function () {
  "use strict";
  var ui = JSON.parse(document.getElementById("ui-data").textContent);
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var statusEl = document.getElementById("status");
  var exitBtn = document.getElementById("quick-exit");
  var langSelect = document.getElementById("language");
  var store = window.sessionStorage;
  var conv = null, ws = null, lastId = 0, seen = {}, retry = 0, ended = false;

  function quickExit() {
    // Erase on the server, then replace this page and its history entry with a neutral one.
    try {
      if (conv) {
        navigator.sendBeacon("/api/conversations/" + conv.id + "/exit",
          new Blob([JSON.stringify({ token: conv.token })], { type: "application/json" }));
      }
    } catch (e) { /* leave anyway */ }
    try { store.clear(); } catch (e) {}
    if (ws) { try { ws.close(); } catch (e) {} }
    document.body.innerHTML = "";
    window.location.replace(exitBtn.getAttribute("data-url") || "about:blank");
  }
  exitBtn.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { quickExit(); } });

  function applyUi(data) {
    ui = data;
    document.documentElement.lang = data.lang;
    document.documentElement.dir = data.dir;
    var s = data.strings;
    document.title = s["web.title"];
    document.getElementById("title").textContent = s["web.title"];
    document.getElementById("lang-label").textContent = s["web.language_label"];
    exitBtn.textContent = s["web.quick_exit"];
    document.getElementById("exit-hint").textContent = s["web.quick_exit_hint"];
    document.getElementById("intro").textContent = s["web.intro_notice"];
    document.getElementById("send").textContent = s["web.send"];
    input.placeholder = s["web.placeholder"];
    document.getElementById("placeholder-label").textContent = s["web.placeholder"];
    langSelect.value = data.lang;
  }

  function label(author) {
    var s = ui.strings;
    return author === "person" ? s["web.you_label"] : author === "worker" ? s["web.worker_label"] : s["web.assistant_label"];
  }

  function render(m) {
    if (seen[m.id]) { return; }
    seen[m.id] = true;
    lastId = Math.max(lastId, m.id);
    var li = document.createElement("li");
    li.className = "msg " + (m.author === "person" ? "person" : m.author === "worker" ? "worker" : "bot");
    li.setAttribute("data-key", m.key || "");
    if (m.lang) { li.lang = m.lang; }
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = label(m.author);
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = m.text;
    li.appendChild(who); li.appendChild(body);
    if (m.machine_translated) {
      var mt = document.createElement("span");
      mt.className = "mt";
      mt.textContent = ui.strings["web.machine_translated"] + " ";
      if (m.original) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = ui.strings["web.show_original"];
        btn.addEventListener("click", function () { body.textContent = m.original; btn.remove(); });
        mt.appendChild(btn);
      }
      li.appendChild(mt);
    }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function setStatus(text) { statusEl.hidden = !text; statusEl.textContent = text || ""; }

  function connect() {
    if (!conv || ended) { return; }
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/api/conversations/" + conv.id + "/ws");
    ws.onopen = function () { retry = 0; setStatus(""); ws.send(JSON.stringify({ token: conv.token, since: lastId })); };
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type !== "messages") { return; }
      data.messages.forEach(render);
      if (data.language && data.language !== ui.lang) { fetchUi(data.language); }
      if (data.ended) { ended = true; setStatus(ui.strings["web.ended"]); store.removeItem("hotline.conv"); }
    };
    ws.onclose = function (ev) {
      if (ended) { return; }
      if (ev.code === 4404) { store.removeItem("hotline.conv"); conv = null; return; }
      setStatus(ui.strings["web.connection_lost"]);
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * retry);
    };
  }

  function fetchUi(lang) {
    fetch("/api/ui/" + encodeURIComponent(lang)).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { applyUi(data); } });
  }

  var chosen = false;
  function start(lang) {
    return fetch("/api/conversations", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ language: lang, chosen: chosen })
    }).then(function (r) { return r.json(); }).then(function (data) {
      conv = { id: data.id, token: data.token };
      store.setItem("hotline.conv", JSON.stringify(conv));
      data.messages.forEach(render);
      connect();
    });
  }

  function ensureConversation() {
    if (conv) { return Promise.resolve(); }
    return start(ui.lang);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text || ended) { return; }
    input.value = "";
    ensureConversation().then(function () {
      return fetch("/api/conversations/" + conv.id + "/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + conv.token },
        body: JSON.stringify({ text: text })
      });
    }).then(function (r) {
      if (!r.ok) { setStatus(ui.strings["web.connection_lost"]); input.value = text; }
    }).catch(function () { setStatus(ui.strings["web.connection_lost"]); input.value = text; });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  langSelect.addEventListener("change", function () {
    var lang = langSelect.value;
    chosen = true;
    if (!conv) { fetchUi(lang); return; }
    fetch("/api/conversations/" + conv.id + "/language", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + conv.token },
      body: JSON.stringify({ language: lang })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) { if (data) { applyUi(data); } });
  });

  var saved = store.getItem("hotline.conv");
  if (saved) { conv = JSON.parse(saved); connect(); } else { start(ui.lang); }
})();
