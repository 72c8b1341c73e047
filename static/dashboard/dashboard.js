/* TicketCore manager dashboard: live tiles and charts over ws /ws/events/{id}/live/.
 *
 * Every figure comes from the server, which derives it from the database: a `snapshot` on each
 * (re)connect replaces the whole state, `gate_counts` / `sales` / `devices` messages replace
 * their part. `scan` messages only feed the "Latest scans" list; nothing is counted here, so a
 * reconnecting page can never drift. While the socket is down the figures are marked stale in
 * words, the page retries every few seconds (1, 2, 4, then 5 s, jittered) and polls the same
 * snapshot over HTTP; the moment that poll answers again (the server is back) it reconnects at
 * once. A poll that lands on the login page means the session is gone: the page says so and
 * links to the login instead of retrying as if the network were down.
 * No dependencies but the vendored Chart.js (static/vendor/chartjs). */
(function () {
  "use strict";

  var body = document.body;
  var WS_PATH = body.dataset.wsPath;
  var SNAPSHOT_URL = body.dataset.snapshotUrl;
  var CSRF = body.dataset.csrfToken;
  var GATE_COLORS = ["#4f8cff", "#2fd17a", "#f5a524", "#e55cff", "#22d3ee", "#ff7a59", "#a3e635", "#f472b6", "#94a3b8"];
  var KIND = {
    offline_conflict: ["Offline conflict", "bad"], rejected_burst: ["Rejected burst", "warn"],
    invalid_signature_burst: ["Forgery attempts", "bad"], revoked_device: ["Revoked device", "bad"],
    device_silent: ["Device silent", "warn"], zone_capacity: ["Zone capacity", "bad"],
    late_upload: ["Late upload", "info"], office_conflict: ["Office conflict", "warn"]
  };
  var REASONS = {
    invalid_signature: "invalid signature", unknown_ticket: "unknown ticket", wrong_event: "wrong event",
    not_sold: "not sold", already_inside: "already inside", already_used: "already used",
    not_inside: "not inside", zone_not_allowed: "zone not allowed", direction_not_allowed: "wrong direction",
    credential_revoked: "credential revoked", event_closed: "doors closed", device_revoked: "device revoked"
  };

  var state = null;          // the latest snapshot, patched by live messages
  var feed = [];             // latest scans, newest first
  var socket = null;
  var attempt = 0;
  var reconnectTimer = null;
  var pollTimer = null;
  var pingTimer = null;
  var lastPong = 0;
  var lastDataAt = Date.now();  // when the figures last came from the server (socket or poll)
  var signedOut = false;        // the last poll landed on the login page
  var serverAnswers = true;     // the last poll reached the server
  var RETRY_MAX_MS = 5000;
  var SIGNED_OUT_RETRY_MS = 15000;
  var POLL_MS = 5000;
  var charts = {};
  var feedDirty = false;

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = v;
        else if (k === "style") el.setAttribute("style", v);
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return el;
  }

  function fmt(n) { return (n === null || n === undefined) ? "–" : Number(n).toLocaleString("en-US"); }
  function pct(part, whole) { return whole ? (100 * part / whole) : 0; }
  function pctText(p) { return (Math.round(p * 10) / 10).toFixed(p >= 10 || p === 0 ? 0 : 1) + "%"; }
  function time(iso) {
    if (!iso) return "–";
    var d = new Date(iso);
    return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function ago(iso) {
    if (!iso) return "never";
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }
  function setText(id, value) {
    var el = $(id);
    if (el && el.textContent !== String(value)) el.textContent = value;
  }
  function alpha(hex, a) {
    var m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) return "rgba(148,163,184," + a + ")";
    return "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," + parseInt(m[3], 16) + "," + a + ")";
  }
  function toast(text, isError) {
    var t = $("toast");
    t.textContent = text;
    t.className = "toast show" + (isError ? " error" : "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.className = "toast"; }, 3500);
  }
  function gateNames() {
    var names = {};
    (state.checkpoints || []).forEach(function (c) { names[c.checkpoint] = c.name; });
    (state.devices || []).forEach(function (d) { if (d.checkpoint && !names[d.checkpoint]) names[d.checkpoint] = d.checkpoint_name; });
    return names;
  }
  function zoneColors() {
    var colors = {};
    (state.zones || []).forEach(function (z) { colors[z.zone_id] = z.color; });
    return colors;
  }

  // ---------------------------------------------------------------- connection state

  function setConn(kind, text) {
    var el = $("conn");
    el.className = "pill " + ({ live: "pill-ok", wait: "pill-wait", down: "pill-bad" })[kind];
    el.dataset.state = kind;
    el.textContent = text;
    renderStale();
  }

  function socketOpen() { return !!socket && socket.readyState === WebSocket.OPEN; }

  // Not live (after the first failure): the figures are the last ones received. A manager must
  // not read them as current, so the page says it in words, with their age.
  function renderStale() {
    var stale = !socketOpen() && (attempt > 0 || signedOut);
    body.classList.toggle("is-stale", stale);
    body.dataset.stale = stale ? "true" : "false";
    var banner = $("stale");
    if (!banner) return;
    banner.hidden = !stale;
    if (!stale) return;
    banner.classList.toggle("signed-out", signedOut);
    $("stale-signin").hidden = !signedOut;
    var age = ago(new Date(lastDataAt).toISOString());
    var asOf = time(new Date(lastDataAt).toISOString());
    if (signedOut) {
      setText("stale-title", "Signed out: these figures are stale");
      setText("stale-text", "This browser's session has ended, so the live feed refuses it. Figures as of " +
        asOf + " (" + age + ").");
    } else if (serverAnswers) {
      setText("stale-title", "Not live: figures may be out of date");
      setText("stale-text", "The live feed is down; figures are re-read every " + POLL_MS / 1000 +
        " s, last at " + asOf + " (" + age + "). Reconnecting…");
    } else {
      setText("stale-title", "Not live: these figures are stale");
      setText("stale-text", "The server cannot be reached. Last figures at " + asOf + " (" + age +
        "). Reconnecting…");
    }
  }
  function markAsOf(iso) { setText("asof", "as of " + time(iso || new Date().toISOString())); }

  function connect() {
    clearTimeout(reconnectTimer);
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try {
      ws = new WebSocket(proto + location.host + WS_PATH);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    setConn("wait", attempt ? "Reconnecting…" : "Connecting…");
    ws.onopen = function () {
      attempt = 0;
      signedOut = false;
      serverAnswers = true;
      lastPong = Date.now();
      stopPolling();
      showLive();
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (Date.now() - lastPong > 45000) { ws.close(); return; }  // a dead link that never said so
        ws.send(JSON.stringify({ type: "ping" }));
      }, 15000);
    };
    ws.onmessage = function (ev) {
      lastPong = lastDataAt = Date.now();
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      handle(msg);
    };
    ws.onclose = function () {
      if (socket !== ws) return;
      socket = null;
      clearInterval(pingTimer);
      scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    attempt += 1;
    // 1, 2, 4, then every 5 s (+ up to 1 s of jitter so a venue's dashboards do not reconnect in
    // lockstep): a restarted server is back within seconds, and while it is down an attempt is
    // one refused TCP connection. A signed-out page retries slowly (a sign-in in another tab
    // brings it back by itself).
    var cap = signedOut ? SIGNED_OUT_RETRY_MS : RETRY_MAX_MS;
    var delay = Math.min(cap, 1000 * Math.pow(2, attempt - 1)) + Math.random() * 1000;
    var at = Date.now() + delay;
    var label = function () { return (signedOut ? "Signed out" : "Offline") + " · retry in "; };
    setConn("down", label() + Math.ceil(delay / 1000) + " s");
    clearInterval(reconnectTimer);
    reconnectTimer = setInterval(function () {
      var left = Math.ceil((at - Date.now()) / 1000);
      if (left <= 0) { clearInterval(reconnectTimer); connect(); }
      else setConn("down", label() + left + " s");
    }, 250);
    startPolling();
  }

  // The server answers again after not answering (it restarted): reconnect now rather than at
  // the end of the current wait.
  function reconnectSoon() {
    if (socket) return;  // an attempt is already under way
    clearInterval(reconnectTimer);
    connect();
  }

  function startPolling() {
    if (pollTimer) return;
    var poll = function () {
      fetch(SNAPSHOT_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (r) {
          var wasDown = !serverAnswers;
          serverAnswers = true;
          // staff_member_required answers a 302 to the admin login, which fetch follows.
          var toLogin = r.redirected && /\/login\//.test(r.url);
          signedOut = toLogin || r.status === 401 || r.status === 403;
          if (wasDown && !signedOut) reconnectSoon();
          renderStale();
          return r.ok && !toLogin ? r.json() : null;
        }, function () {
          serverAnswers = false;  // the server itself is unreachable: keep the last figures
          renderStale();
          return null;
        })
        .then(function (snap) {
          if (snap && !socketOpen()) { lastDataAt = Date.now(); applySnapshot(snap); renderStale(); }
        })
        .catch(function () { /* a body that is not JSON: keep the last figures */ });
    };
    poll();
    pollTimer = setInterval(poll, POLL_MS);
  }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socket) { attempt = 0; connect(); }
  });

  // ---------------------------------------------------------------- messages

  function handle(msg) {
    switch (msg.type) {
      case "snapshot": applySnapshot(msg); break;
      case "gate_counts": applyCounts(msg); break;
      case "scan": addScan(msg); break;
      case "sales": if (msg.totals) { state.sales = msg; renderSales(); } break;
      case "alert": upsertAlert(msg); renderAlerts(); break;
      case "alert_ack": ackLocal(msg); renderAlerts(); break;
      case "devices": state.devices = msg.devices; renderDevices(); break;
      case "device": deviceChanged(msg); break;
      case "mirror": state.mirror = msg; renderMirror(); break;
      case "feed": state.live = { redis: !!msg.redis }; showLive(); break;
      default: break;
    }
  }

  function applySnapshot(snap) {
    state = snap;
    feed = (snap.recent_scans || []).slice(0, 40);
    renderAll();
    markAsOf(snap.at);
    if (socket && socket.readyState === WebSocket.OPEN) showLive();
  }

  // Connected, but the server lost Redis: figures still come from the database every few
  // seconds, only the scan stream pauses.
  function showLive() {
    if (state && state.live && state.live.redis === false) setConn("wait", "Live · database only");
    else setConn("live", "Live");
  }

  function applyCounts(msg) {
    if (!state) return;
    ["checkpoints", "zones", "credentials", "totals", "at", "minute"].forEach(function (k) { state[k] = msg[k]; });
    rollSeries(msg);
    renderCounts();
    markAsOf(msg.at);
  }

  // The chart history comes with the snapshot; each gate_counts refreshes the last two minutes.
  function rollSeries(msg) {
    var s = state.series;
    if (!s || !msg.minute) return;
    var current = new Date(msg.minute).getTime();
    var last = s.minutes.length ? new Date(s.minutes[s.minutes.length - 1]).getTime() : current - 60000;
    while (last < current) {
      last += 60000;
      s.minutes.push(new Date(last).toISOString());
      s.minutes.shift();
      Object.keys(s.checkpoints).forEach(function (cp) { s.checkpoints[cp].push(0); s.checkpoints[cp].shift(); });
    }
    var n = s.minutes.length;
    (msg.checkpoints || []).forEach(function (c) {
      var row = s.checkpoints[c.checkpoint];
      if (!row) { row = s.checkpoints[c.checkpoint] = new Array(n).fill(0); }
      row[n - 1] = c.this_minute;
      if (n > 1) row[n - 2] = c.previous_minute;
    });
  }

  function addScan(msg) {
    feed.unshift(msg);
    if (feed.length > 40) feed.length = 40;
    if (!feedDirty) {
      feedDirty = true;
      setTimeout(function () { feedDirty = false; renderFeed(); }, 250);  // at most 4 renders/s
    }
  }

  function upsertAlert(msg) {
    var list = state.alerts || (state.alerts = []);
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === msg.id) { list[i] = Object.assign({}, list[i], msg); return; }
    }
    list.unshift(msg);
    flash("tile-alerts");
  }
  function ackLocal(msg) {
    (state.alerts || []).forEach(function (a) {
      if (a.id === msg.id) { a.acknowledged = true; a.acknowledged_at = msg.acknowledged_at; a.acknowledged_by = msg.acknowledged_by; }
    });
  }
  function deviceChanged(msg) {
    (state.devices || []).forEach(function (d) {
      if (d.device_id === msg.device_id && msg.revoked) { d.revoked = true; d.status = "revoked"; }
    });
    renderDevices();
  }
  function flash(id) {
    var el = $(id);
    if (!el) return;
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }

  // ---------------------------------------------------------------- rendering

  function renderAll() {
    renderCounts();
    renderSales();
    renderAlerts();
    renderDevices();
    renderFeed();
    renderMirror();
  }

  function renderCounts() {
    var t = state.totals || {};
    var before = $("v-accepted").textContent;
    setText("v-inside", fmt(t.inside));
    setText("v-occupancy", pctText(t.occupancy_pct || 0));
    setText("v-seats", fmt(t.seats));
    setText("v-credentials-inside", fmt(t.credentials_inside));
    $("m-occupancy").style.width = Math.min(100, t.occupancy_pct || 0) + "%";
    setText("v-accepted", fmt(t.accepted));
    setText("v-entries", fmt(t.entries));
    setText("v-exits", fmt(t.exits));
    setText("v-rejected", fmt(t.rejected));
    var all = (t.accepted || 0) + (t.rejected || 0);
    setText("v-reject-rate", all ? pctText(pct(t.rejected, all)) : "0%");
    setText("v-per-minute", fmt(t.per_minute));
    var busiest = (state.checkpoints || []).slice().sort(function (a, b) { return b.per_minute - a.per_minute; })[0];
    setText("v-busiest", busiest && busiest.per_minute ? "busiest: " + busiest.name : "no scans in the last minute");
    if (before !== $("v-accepted").textContent && before !== "–") flash("tile-accepted");
    renderGates();
    renderZones();
    renderRateChart();
  }

  function renderGates() {
    var tbody = $("gates").querySelector("tbody");
    var rows = state.checkpoints || [];
    var max = Math.max(1, Math.max.apply(null, rows.map(function (c) { return c.per_minute; }).concat([0])));
    tbody.textContent = "";
    if (!rows.length) {
      tbody.appendChild(h("tr", null, h("td", { colspan: "6", class: "empty" }, "No gates yet: create checkpoints in the admin.")));
      return;
    }
    rows.forEach(function (c, i) {
      var color = GATE_COLORS[i % GATE_COLORS.length];
      var rejectShare = pct(c.rejected, c.accepted + c.rejected);
      tbody.appendChild(h("tr", { "data-checkpoint": c.checkpoint },
        h("td", null, h("div", { class: "gate-name" }, h("span", { class: "dot", style: "background:" + color + ";margin-right:8px" }), c.name),
          h("div", { class: "gate-sub" }, ({ in: "entry only", out: "exit only", both: "entry and exit" })[c.directions] || "")),
        h("td", { class: "num", "data-field": "accepted" }, fmt(c.accepted)),
        h("td", { class: "num" + (rejectShare >= 10 ? " rej" : ""), "data-field": "rejected" }, fmt(c.rejected)),
        h("td", { class: "num", "data-field": "inside" }, fmt(c.inside)),
        h("td", { class: "num", "data-field": "per_minute" }, fmt(c.per_minute)),
        h("td", null, h("div", { class: "spark" }, h("div", { style: "width:" + (100 * c.per_minute / max) + "%;background:" + color })))
      ));
    });
  }

  function renderZones() {
    var box = $("zones");
    var threshold = (state.thresholds || {}).zone_capacity_pct || 95;
    setText("capacity-note", "alert at " + threshold + "%");
    box.textContent = "";
    (state.zones || []).forEach(function (z) {
      var p = pct(z.inside, z.seats);
      var near = p >= threshold;
      box.appendChild(h("div", { class: "zone-row" + (near ? " near" : ""), "data-zone": z.zone_id },
        h("div", { class: "zone-top" },
          h("span", { class: "zone-name" }, h("span", { class: "dot", style: "background:" + z.color }), z.name,
            near ? h("span", { class: "badge badge-bad" }, "near capacity") : (p >= 80 ? h("span", { class: "badge badge-warn" }, "filling") : null)),
          h("span", { class: "zone-figs" }, h("b", { "data-field": "inside" }, fmt(z.inside)), " / " + fmt(z.seats) + " · " + pctText(p))),
        h("div", { class: "zone-bar" },
          h("div", { style: "width:" + Math.min(100, p) + "%;background:linear-gradient(90deg," + alpha(z.color, 0.75) + "," + z.color + ")" }),
          h("span", { class: "cap", style: "left:" + threshold + "%" }))
      ));
    });
    var c = state.credentials || {};
    box.appendChild(h("div", { class: "zone-extra" },
      h("span", null, "Staff & VIP inside"),
      h("span", null, h("b", { id: "v-credentials-zone" }, fmt(c.inside)), " (" + fmt(c.staff) + " staff, " + fmt(c.vip) + " VIP)")));
  }

  function chartDefaults() {
    if (!window.Chart || chartDefaults.done) return;
    chartDefaults.done = true;
    Chart.defaults.color = "#8a96ad";
    Chart.defaults.borderColor = "rgba(138,150,173,0.12)";
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.font.size = 11;
  }

  function renderRateChart() {
    if (!window.Chart || !state.series) return;
    chartDefaults();
    var names = gateNames();
    var order = (state.checkpoints || []).map(function (c) { return c.checkpoint; });
    Object.keys(state.series.checkpoints).forEach(function (cp) { if (order.indexOf(cp) < 0) order.push(cp); });
    var labels = state.series.minutes.map(function (m) { return new Date(m).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }); });
    var datasets = order.map(function (cp, i) {
      var color = GATE_COLORS[i % GATE_COLORS.length];
      return {
        label: names[cp] || cp, data: (state.series.checkpoints[cp] || new Array(labels.length).fill(0)).slice(),
        borderColor: color, backgroundColor: alpha(color, 0.12), fill: true, tension: 0.35,
        pointRadius: 0, pointHoverRadius: 4, borderWidth: 2
      };
    });
    if (!charts.rate) {
      charts.rate = new Chart($("chart-rate"), {
        type: "line",
        data: { labels: labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } } },
          scales: {
            x: { grid: { display: false }, ticks: { maxTicksLimit: 10 } },
            y: { beginAtZero: true, ticks: { precision: 0 } }
          }
        }
      });
    } else {
      charts.rate.data.labels = labels;
      charts.rate.data.datasets = datasets;
      charts.rate.update("none");
    }
  }

  function renderSales() {
    var s = state.sales;
    if (!s || !s.totals) return;
    var t = s.totals;
    setText("v-sold", fmt(t.sold));
    setText("v-sold-pct", pctText(pct(t.sold, t.seats)));
    setText("v-held", fmt(t.held));
    setText("v-available", fmt(t.available));
    setText("sales-note", fmt(t.sold) + " / " + fmt(t.seats));
    if (!window.Chart) return;
    chartDefaults();
    var colors = zoneColors();
    var zones = s.zones || [];
    var labels = zones.map(function (z) { return z.zone || z.zone_id; });
    var col = function (z, a) { return alpha(z.color || colors[z.zone_id], a); };
    var datasets = [
      { label: "Sold", data: zones.map(function (z) { return z.sold; }), backgroundColor: zones.map(function (z) { return col(z, 1); }) },
      { label: "Held", data: zones.map(function (z) { return z.held; }), backgroundColor: zones.map(function (z) { return col(z, 0.55); }) },
      { label: "Box office", data: zones.map(function (z) { return z.offline; }), backgroundColor: zones.map(function (z) { return col(z, 0.3); }) },
      { label: "Available", data: zones.map(function (z) { return z.available; }), backgroundColor: "#243049" }
    ].map(function (d) { d.borderRadius = 4; d.borderSkipped = false; d.barThickness = 18; return d; });
    if (!charts.sales) {
      charts.sales = new Chart($("chart-sales"), {
        type: "bar",
        data: { labels: labels, datasets: datasets },
        options: {
          indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false }, tooltip: { mode: "index" } },
          scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, grid: { display: false } } }
        }
      });
    } else {
      charts.sales.data.labels = labels;
      charts.sales.data.datasets = datasets;
      charts.sales.update("none");
    }
  }

  function renderAlerts() {
    var list = $("alerts");
    var alerts = (state.alerts || []).slice().sort(function (a, b) {
      return (a.acknowledged === b.acknowledged) ? b.id - a.id : (a.acknowledged ? 1 : -1);
    }).slice(0, 60);
    var open = alerts.filter(function (a) { return !a.acknowledged; });
    setText("v-alerts", fmt(open.length));
    $("v-alerts").className = "tile-value" + (open.length ? " bad" : " ok");
    setText("v-alerts-sub", open.length ? (KIND[open[0].kind] || [open[0].kind])[0] + " · " + ago(open[0].created_at) : "all clear");
    setText("alerts-note", open.length ? open.length + " open" : "");
    list.textContent = "";
    if (!alerts.length) { list.appendChild(h("li", { class: "empty" }, "No alerts. Bursts of rejections, forgeries, silent devices and full zones show up here.")); return; }
    alerts.forEach(function (a) {
      var k = KIND[a.kind] || [a.kind, "info"];
      var action = a.acknowledged
        ? h("span", { class: "muted small" }, "✓ " + (a.acknowledged_by || "acknowledged"))
        : h("button", { class: "btn btn-small", type: "button", "data-action": "ack", onclick: function (ev) { acknowledge(a, ev.currentTarget); } }, "Acknowledge");
      list.appendChild(h("li", { class: "alert " + k[1] + (a.acknowledged ? " acked" : ""), "data-alert-id": String(a.id), "data-kind": a.kind },
        h("span", { class: "kind kind-" + k[1] }, k[0]),
        h("div", { class: "msg" }, h("div", null, a.message), h("div", { class: "when" }, time(a.created_at) + " · " + ago(a.created_at))),
        action));
    });
  }

  function post(url) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": CSRF, "Content-Type": "application/json", Accept: "application/json" },
      body: "{}"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) throw new Error((b.error && b.error.message) || ("HTTP " + r.status));
        return b;
      });
    });
  }

  function acknowledge(alert, button) {
    button.disabled = true;
    post("/api/v1/alerts/" + encodeURIComponent(alert.id) + "/acknowledge").then(function (b) {
      ackLocal(b);
      renderAlerts();
    }).catch(function (e) { button.disabled = false; toast("Could not acknowledge: " + e.message, true); });
  }

  function renderDevices() {
    var tbody = $("devices").querySelector("tbody");
    var devices = state.devices || [];
    var online = devices.filter(function (d) { return d.status === "online"; }).length;
    setText("devices-note", online + " of " + devices.filter(function (d) { return !d.revoked; }).length + " online");
    tbody.textContent = "";
    if (!devices.length) {
      tbody.appendChild(h("tr", null, h("td", { colspan: "6", class: "empty" }, "No devices paired yet.")));
      return;
    }
    devices.forEach(function (d) {
      var pill = ({ online: "pill-ok", offline: "pill-wait", revoked: "pill-bad", unpaired: "pill-muted" })[d.status] || "pill-muted";
      var offset = d.clock_offset_ms;
      var offsetText = offset === null || offset === undefined ? "–" : (offset > 0 ? "+" : "") + (Math.abs(offset) >= 1000 ? (offset / 1000).toFixed(1) + " s" : offset + " ms");
      tbody.appendChild(h("tr", { "data-device-id": d.device_id, "data-status": d.status },
        h("td", null, h("div", null, d.name), h("div", { class: "dev-role" }, d.role + (d.app_version ? " · v" + d.app_version : ""))),
        h("td", null, d.checkpoint_name || "–"),
        h("td", null, h("span", { class: "pill " + pill, "data-field": "status" }, d.status)),
        h("td", { class: "small", "data-last-seen": d.last_seen_at || "" }, ago(d.last_seen_at)),
        h("td", { class: "num small" + (offset !== null && Math.abs(offset) > 2000 ? " offset-warn" : "") }, offsetText),
        h("td", { class: "num" }, d.revoked ? null : h("button", {
          class: "btn btn-small btn-danger", type: "button", "data-action": "revoke",
          onclick: function (ev) { revoke(d, ev.currentTarget); }
        }, "Revoke"))
      ));
    });
  }

  function revoke(device, button) {
    button.disabled = true;
    post("/api/v1/devices/" + encodeURIComponent(device.device_id) + "/revoke").then(function () {
      device.revoked = true;
      device.status = "revoked";
      renderDevices();
      toast("Revoked " + device.name + ": its token stops working at once.");
    }).catch(function (e) { button.disabled = false; toast("Could not revoke: " + e.message, true); });
  }

  function renderFeed() {
    if (!state) return;
    var list = $("feed");
    var names = gateNames();
    var colors = zoneColors();
    list.textContent = "";
    setText("feed-note", feed.length ? "newest first" : "");
    if (!feed.length) { list.appendChild(h("li", { class: "empty" }, "No scans yet.")); return; }
    feed.slice(0, 24).forEach(function (s) {
      var ok = s.result === "accepted";
      var what = s.direction === "out" ? "exit" : (s.direction === "in" ? "entry" : "accepted");
      var why = ok ? (what + " · " + (names[s.checkpoint] || s.checkpoint || ""))
                   : ((REASONS[s.reason] || s.reason || "rejected") + " · " + (names[s.checkpoint] || s.checkpoint || ""));
      list.appendChild(h("li", { "data-result": s.result },
        h("span", { class: "t" }, time(s.at)),
        h("span", { class: ok ? "r-ok" : "r-bad" }, ok ? "✓" : "✕"),
        h("span", { class: "why" }, why),
        s.zone_id ? h("span", { class: "zone-chip", style: "background:" + (colors[s.zone_id] || "#475569") }, s.zone_id) : h("span")));
    });
  }

  function renderMirror() {
    var m = state.mirror;
    var tile = $("tile-mirror");
    if (!m) { tile.hidden = true; return; }
    tile.hidden = false;
    if (!m.enabled) {
      setText("v-mirror", "Off");
      setText("v-mirror-sub", fmt(m.pending || 0) + " changes waiting");
      $("v-mirror").className = "tile-value";
      return;
    }
    var lag = m.oldest_age_s;
    setText("v-mirror", lag === null || lag === undefined ? "In sync" : (lag < 1 ? "< 1 s" : Math.round(lag) + " s"));
    $("v-mirror").className = "tile-value " + (m.last_error || lag > 30 ? "warn" : "ok");
    setText("v-mirror-sub", m.last_error ? "error: " + m.last_error : fmt(m.pending || 0) + " pending · lag");
  }

  // Relative times ("12 s ago") keep moving between messages.
  setInterval(function () {
    if (!state) return;
    document.querySelectorAll("[data-last-seen]").forEach(function (td) { td.textContent = ago(td.dataset.lastSeen || null); });
  }, 1000);

  // ---------------------------------------------------------------- start

  var initial = document.getElementById("initial-snapshot");
  if (initial) {
    try { applySnapshot(JSON.parse(initial.textContent)); } catch (e) { /* the socket's snapshot follows */ }
  }
  connect();
  // For tests and for debugging from the console.
  window.ticketcoreLive = {
    state: function () { return state; },
    socket: function () { return socket; },
    reconnectNow: function () { attempt = 0; if (socket) socket.close(); else connect(); }
  };
})();
