// Tapster portal: the only script. Every page works without it; it refreshes tap state,
// time left and per-host counters in place (polling /live/taps every 2 s), previews
// a filter's matches while an admin types, and redraws the flow map and the capture list every 5 s.
(function () {
  "use strict";

  var POLL_MS = 2000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The same format as the server's DisplayFormat.timeLeft.
  function timeLeft(seconds) {
    if (seconds <= 0) return "\u2013";
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600),
        m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d > 0) return d + "d " + pad(h) + "h";
    if (h > 0) return h + "h " + pad(m) + "m";
    if (m > 0) return m + "m " + pad(s) + "s";
    return s + "s";
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function field(scope, name) { return scope.querySelector('[data-field="' + name + '"]'); }

  // ---- Live taps ----------------------------------------------------------------------

  var deadlines = {};  // tap id -> local time (ms) when it ends

  function tapElements() { return Array.prototype.slice.call(document.querySelectorAll("[data-tap]")); }

  function liveIds() {
    var ids = [];
    tapElements().forEach(function (node) {
      if (node.hasAttribute("data-live") && ids.indexOf(node.getAttribute("data-tap")) < 0) ids.push(node.getAttribute("data-tap"));
    });
    return ids;
  }

  function renderAgentList(list, agents) {
    list.textContent = "";
    if (!agents.length) { list.appendChild(el("li", "no agent has reported yet", "muted")); return; }
    agents.forEach(function (a) {
      var li = el("li");
      li.appendChild(el("strong", a.agent));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", a.packets_text + " packets"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", a.bytes_text));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", a.drops_text + " drops", a.drops > 0 ? "drops" : ""));
      list.appendChild(li);
    });
  }

  function renderAgentRows(body, agents) {
    body.textContent = "";
    if (!agents.length) {
      var empty = el("tr"), cell = el("td", "no agent has reported yet", "muted");
      cell.colSpan = 6; empty.appendChild(cell); body.appendChild(empty); return;
    }
    agents.forEach(function (a) {
      var tr = el("tr"), host = el("th", a.agent);
      host.scope = "row";
      tr.appendChild(host);
      [["State", a.state + (a.reason ? " (" + a.reason + ")" : ""), ""], ["Packets", a.packets_text, "num"],
       ["Bytes", a.bytes_text, "num"], ["Drops", a.drops_text, a.drops > 0 ? "num drops" : "num"],
       ["Updated", a.updated_at.replace("T", " ").replace(/\.\d+Z$/, " UTC"), ""]].forEach(function (cell) {
        var td = el("td", cell[1], cell[2]);
        td.setAttribute("data-label", cell[0]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function apply(node, tap) {
    var state = field(node, "state");
    if (state) { state.textContent = tap.state; state.className = "state state-" + tap.state; }
    var detail = field(node, "state-detail");
    if (detail) detail.textContent = tap.state_detail || "";
    var list = field(node, "agents");
    if (list) renderAgentList(list, tap.agents);
    var rows = field(node, "agent-rows");
    if (rows) renderAgentRows(rows, tap.agents);
    deadlines[tap.id] = Date.now() + tap.remaining_seconds * 1000;
    var left = field(node, "time-left");
    if (left) left.textContent = tap.time_left;
    if (!tap.live) {
      node.removeAttribute("data-live");
      delete deadlines[tap.id];
      node.querySelectorAll("[data-when]").forEach(function (part) {
        part.hidden = part.getAttribute("data-when") !== "ended";
      });
    }
  }

  function poll() {
    var ids = liveIds();
    if (!ids.length) return;
    fetch("/live/taps?ids=" + ids.map(encodeURIComponent).join(","), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        body.items.forEach(function (tap) {
          document.querySelectorAll('[data-tap="' + tap.id + '"]').forEach(function (node) { apply(node, tap); });
        });
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function tick() {
    tapElements().forEach(function (node) {
      var id = node.getAttribute("data-tap");
      if (!node.hasAttribute("data-live") || deadlines[id] === undefined) return;
      var left = field(node, "time-left");
      if (left) left.textContent = timeLeft(Math.max(0, Math.ceil((deadlines[id] - Date.now()) / 1000)));
    });
  }

  function startLiveTaps() {
    tapElements().forEach(function (node) {
      var id = node.getAttribute("data-tap");
      if (node.hasAttribute("data-live")) deadlines[id] = Date.now() + Number(node.getAttribute("data-remaining")) * 1000;
    });
    if (!tapElements().length) return;
    setInterval(poll, POLL_MS);
    setInterval(tick, 1000);
  }

  // ---- Filter preview -----------------------------------------------------------------

  function startFilterPreview() {
    var form = document.querySelector("[data-live-preview] form");
    var region = document.getElementById("preview");
    if (!form || !region) return;
    var timer = null, sequence = 0;
    function show(summary, workloads, isError) {
      region.textContent = "";
      region.appendChild(el("p", summary, isError ? "error" : "matches"));
      if (!workloads || !workloads.length) return;
      var wrap = el("div", undefined, "table-wrap"), table = el("table"), head = el("tr"), body = el("tbody");
      ["Host", "Workload", "Kind", "Labels"].forEach(function (h) { var th = el("th", h); th.scope = "col"; head.appendChild(th); });
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      workloads.forEach(function (w) {
        var tr = el("tr");
        tr.appendChild(el("td", w.host));
        tr.appendChild(el("td", w.name));
        tr.appendChild(el("td", w.kind));
        tr.appendChild(el("td", Object.keys(w.labels || {}).sort().map(function (k) { return k + "=" + w.labels[k]; }).join(", ")));
        body.appendChild(tr);
      });
      table.appendChild(body); wrap.appendChild(table); region.appendChild(wrap);
    }
    function preview() {
      var data = new URLSearchParams(new FormData(form));
      if (!data.get("selector")) return;
      if (!data.get("name")) data.set("name", "preview");
      var mine = ++sequence;
      fetch("/admin/filters/preview", { method: "POST", credentials: "same-origin", body: data,
                                         headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (mine !== sequence) return;
          if (body.code) { show(body.message, null, true); return; }
          show("Matches " + body.workloads + " workload" + (body.workloads === 1 ? "" : "s") + " on " +
               body.hosts + " host" + (body.hosts === 1 ? "" : "s") + ".", body.items, false);
        })
        .catch(function () {});
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 400); });
  }

  // ---- Refreshed regions (the flow map, the capture list) -------------------------------

  var REGION_REFRESH_MS = 5000;

  // The server renders the region (the flow map's SVG and table, the capture list); this swaps in its newer
  // version, fetched from the region's data-refresh URL (the same page with a fragment=… parameter), while the
  // tab is visible.
  function startRegionRefresh(id) {
    if (!document.getElementById(id)) return;
    var busy = false, refreshes = 0;
    setInterval(function () {
      var region = document.getElementById(id);
      if (busy || document.hidden || !region) return;
      busy = true;
      fetch(region.getAttribute("data-refresh"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
          if (!fresh) return;
          fresh = document.importNode(fresh, true);
          fresh.setAttribute("data-refreshes", String(++refreshes));
          region.replaceWith(fresh);
        })
        .catch(function () { /* the next refresh tries again */ })
        .then(function () { busy = false; });
    }, REGION_REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    startLiveTaps();
    startFilterPreview();
    startRegionRefresh("flow-map");
    startRegionRefresh("capture-list");
  });
})();
