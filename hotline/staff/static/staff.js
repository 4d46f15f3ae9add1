// Staff console: live queue and live chat over server-sent events; sending through fetch with the
// CSRF token. Every page also works without this script (forms post and redirect).
(function () {
  "use strict";
  var page = document.body.getAttribute("data-page");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var statusEl = document.getElementById("live-status");
  var AUTHORS = { person: "Person", bot: "Assistant", system: "Hotline", worker: "Worker", note: "Note" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function setStatus(text) { if (statusEl) { statusEl.textContent = text || ""; } }
  function duration(s) {
    if (s < 60) { return s + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min"; }
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function hidden(text) { return el("span", "visually-hidden", text); }
  function csrfInput() {
    var input = el("input"); input.type = "hidden"; input.name = "csrf_token"; input.value = csrf; return input;
  }
  function live(url, handlers) {
    // EventSource reconnects by itself after a dropped connection; when the server refuses the
    // stream (session ended, 401) it gives up, so check why and go to the login page if needed.
    var source = new EventSource(url);
    source.onopen = function () { setStatus(""); };
    source.onerror = function () {
      setStatus("Live updates interrupted; reconnecting…");
      if (source.readyState !== EventSource.CLOSED) { return; }
      fetch("/staff/api/queue", { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) { window.location.href = "/staff/login"; return; }
        setTimeout(function () { live(url, handlers); }, 3000);
      }).catch(function () { setTimeout(function () { live(url, handlers); }, 3000); });
    };
    source.addEventListener("logout", function () { source.close(); window.location.href = "/staff/login"; });
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (ev) {
        handlers[name](JSON.parse(ev.data));
        document.body.setAttribute("data-live", "ready");  // the first live update has been shown
      });
    });
    return source;
  }

  // ------------------------------------------------------------------ queue
  function queuePage() {
    var body = document.getElementById("queue-body");
    var alerts = document.getElementById("alerts");
    var announce = document.getElementById("announce");
    var known = {};
    Array.prototype.forEach.call(body.querySelectorAll("tr[data-id]"), function (tr) { known[tr.getAttribute("data-id")] = true; });

    function row(item) {
      var tr = el("tr", "tier-" + item.tier + (item.status !== "queued" ? " active" : ""));
      tr.setAttribute("data-id", item.id); tr.setAttribute("data-tier", item.tier);
      var tier = el("td"); tier.appendChild(el("span", "tier", item.tier));
      if (item.escalated) { tier.appendChild(document.createTextNode(" ")); tier.appendChild(el("span", "flag", "escalated")); }
      tr.appendChild(tier);
      tr.appendChild(el("td", null, duration(item.waiting_seconds)));
      tr.appendChild(el("td", null, item.language_name));
      tr.appendChild(el("td", null, item.child ? "Child" : ""));
      tr.appendChild(el("td", null, item.channel));
      tr.appendChild(el("td", null, item.person_left ? "Person left" : item.status === "queued" && !item.waiting_live ? "Not waiting live" : item.status === "queued" ? "Waiting" : "With " + (item.worker || "a worker")));
      var action = el("td");
      var a = el("a", null, item.status === "queued" ? "Read summary" : "Open");
      a.href = "/staff/handovers/" + item.id + (item.status === "active" ? "/chat" : "");
      a.appendChild(hidden(" (" + item.tier + ", " + item.language_name + ")"));
      action.appendChild(a); tr.appendChild(action);
      return tr;
    }

    function renderQueue(items) {
      var focused = document.activeElement && body.contains(document.activeElement)
        ? document.activeElement.closest("tr").getAttribute("data-id") : null;
      var fresh = [];
      body.textContent = "";
      if (!items.length) {
        var empty = el("tr", "empty"); var td = el("td", null, "Nobody is waiting."); td.colSpan = 7;
        empty.appendChild(td); body.appendChild(empty);
      }
      items.forEach(function (item) {
        body.appendChild(row(item));
        if (!known[item.id] && item.status === "queued") { fresh.push(item); }
        known[item.id] = true;
      });
      if (focused) {
        var link = body.querySelector('tr[data-id="' + focused + '"] a');
        if (link) { link.focus(); }
      }
      if (fresh.length) {
        announce.textContent = fresh.map(function (i) {
          return "New " + i.tier + (i.child ? " child" : "") + " conversation waiting, " + i.language_name + ".";
        }).join(" ");
        if (fresh.some(function (i) { return i.tier === "P0"; })) { document.title = "(P0) Queue · Hotline"; }
      }
    }

    function renderAlerts(list) {
      if (!alerts) { return; }
      alerts.textContent = "";
      if (!list.length) { alerts.appendChild(el("li", "empty", "No open alerts.")); return; }
      list.forEach(function (alert) {
        var li = el("li"); li.setAttribute("data-id", alert.id);
        li.appendChild(el("span", "tier", alert.tier || ""));
        li.appendChild(document.createTextNode(" " + alert.label + " "));
        if (alert.handover_id) {
          var a = el("a", null, "handover " + alert.handover_id); a.href = "/staff/handovers/" + alert.handover_id;
          li.appendChild(a);
        }
        var form = el("form", "inline"); form.method = "post"; form.action = "/staff/alerts/" + alert.id + "/ack";
        form.appendChild(csrfInput());
        var button = el("button", null, "Acknowledge"); button.type = "submit";
        button.appendChild(hidden(" alert " + alert.id));
        form.appendChild(button); li.appendChild(form);
        alerts.appendChild(li);
      });
    }

    live("/staff/events", {
      queue: function (data) {
        renderQueue(data.queue);
        if (data.alerts) { renderAlerts(data.alerts); }
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { document.title = "Queue · Hotline"; }
    });
  }

  // ------------------------------------------------------------------ chat
  function chatPage() {
    var chat = document.getElementById("chat");
    var list = document.getElementById("transcript");
    var handover = chat.getAttribute("data-handover");
    var last = parseInt(chat.getAttribute("data-last"), 10) || 0;
    var composer = document.getElementById("composer");
    var input = document.getElementById("text");
    var staffLang = document.body.getAttribute("data-staff-lang") || "en";

    function line(m) {
      var li = el("li", "line " + m.author);
      li.setAttribute("data-id", m.id); li.setAttribute("data-kind", m.kind);
      li.appendChild(el("span", "who", AUTHORS[m.author] || m.author));
      var original;
      if (m.shown) {
        var shown = el("p", "shown", m.shown); shown.lang = staffLang; li.appendChild(shown);
        li.appendChild(el("p", "mt-label", (m.kind === "machine" ? "Machine translation" : "Translation") + ": " + (m.notice || "")));
        original = el("p", "original");
        original.appendChild(el("span", "label", "Original:"));
        original.appendChild(document.createTextNode(" "));
        var span = el("span", null, m.original); if (m.lang) { span.lang = m.lang; }
        original.appendChild(span);
        li.appendChild(original);
      } else {
        original = el("p", "original", m.original); if (m.lang) { original.lang = m.lang; }
        li.appendChild(original);
        if (m.notice && m.kind === "unavailable") { li.appendChild(el("p", "mt-label", m.notice)); }
      }
      if (m.to_person) {
        var sent = el("p", "to-person");
        sent.appendChild(el("span", "label", "Sent as machine translation:"));
        sent.appendChild(document.createTextNode(" "));
        var t = el("span", null, m.to_person); if (m.to_person_lang) { t.lang = m.to_person_lang; }
        sent.appendChild(t); li.appendChild(sent);
      }
      return li;
    }

    function upsert(m) {
      var existing = list.querySelector('li[data-id="' + m.id + '"]');
      var node = line(m);
      if (existing) { list.replaceChild(node, existing); } else { list.appendChild(node); node.scrollIntoView({ block: "end" }); }
      last = Math.max(last, m.id);
    }

    function state(data) {
      var closed = data.status !== "active";
      if (data.person_left) { setStatus("The person left with the exit word. Do not write to them; close the case."); }
      else if (closed) { setStatus("This conversation is no longer open (" + data.status + ")."); }
      if (composer && (closed || data.person_left || !data.can_write)) {
        Array.prototype.forEach.call(composer.elements, function (e) { e.disabled = true; });
      }
    }

    live("/staff/handovers/" + handover + "/events?since=" + last, {
      conversation: function (data) { data.lines.forEach(upsert); state(data); },
      gone: function () { setStatus("This conversation is no longer available to you."); }
    });

    if (composer) {
      composer.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var text = input.value.trim();
        if (!text) { return; }
        var body = new URLSearchParams(); body.set("text", text); body.set("csrf_token", csrf);
        input.value = "";
        fetch(composer.action, {
          method: "POST", credentials: "same-origin", body: body,
          headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
        }).then(function (r) {
          if (r.status === 401) { window.location.href = "/staff/login"; return; }
          if (!r.ok) {
            input.value = text;
            return r.json().then(function (d) { setStatus(d.message || "The message was not sent."); });
          }
          setStatus("");
        }).catch(function () { input.value = text; setStatus("The message was not sent: connection lost."); });
      });
      input.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); composer.requestSubmit(); }
      });
    }
  }

  if (page === "queue") { queuePage(); }
  if (page === "chat") { chatPage(); }
}());
