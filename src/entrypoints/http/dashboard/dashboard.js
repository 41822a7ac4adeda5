// The admin dashboard: charts and tables drawn from the same GET /reports/... routes the API
// documents. An admin signs in with e-mail and password (POST /auth/login); the tokens live in
// this script's memory only (no cookie, no localStorage), are sent as "Authorization: Bearer",
// renewed once with the refresh token when the access token expires, and revoked on sign-out.
"use strict";

(() => {
  const session = { access: null, refresh: null };
  const charts = {};
  const COLOURS = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f"];
  const LOW = "#c62828";
  const MAX_STOCK_BARS = 30;
  const $ = (id) => document.getElementById(id);

  function setState(state, message = "") {
    document.body.dataset.state = state;
    $("status").textContent = message;
  }

  async function problemText(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || `HTTP ${response.status}`;
    } catch (_) {
      return `HTTP ${response.status}`;
    }
  }

  function keep(tokens) {
    session.access = tokens.access_token;
    session.refresh = tokens.refresh_token;
  }

  async function renew() {
    const response = await fetch("/auth/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
      body: JSON.stringify({ refresh_token: session.refresh }),
    });
    if (!response.ok) return false;
    keep(await response.json());
    return true;
  }

  async function api(path, retry = true) {
    const response = await fetch(path, {
      headers: { Authorization: "Bearer " + session.access }, cache: "no-store",
      credentials: "omit",
    });
    if (response.status === 401 && retry && session.refresh && (await renew())) {
      return api(path, false);
    }
    if (response.status === 401) {
      signedOut("Your session has ended: sign in again.");
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error(`${path}: ${await problemText(response)}`);
    return response;
  }

  // -- signing in and out --------------------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    setState("signing-in");
    const response = await fetch("/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
      body: JSON.stringify({ email: $("login-email").value, password: $("login-password").value }),
    });
    if (!response.ok) {
      setState("signed-out", await problemText(response));
      return;
    }
    const tokens = await response.json();
    $("login-password").value = "";
    if (tokens.user.role !== "admin") {
      keep(tokens);
      await signOut();
      setState("signed-out", `${tokens.user.email} is not an admin: the reports are for admins.`);
      return;
    }
    keep(tokens);
    $("email").textContent = tokens.user.email;
    $("login").hidden = true;
    $("who").hidden = false;
    $("board").hidden = false;
    await load();
  }

  function signedOut(message) {
    session.access = session.refresh = null;
    for (const name of Object.keys(charts)) {
      charts[name].destroy();
      delete charts[name];
    }
    $("board").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    setState("signed-out", message);
  }

  async function signOut() {
    if (session.refresh) {
      await fetch("/auth/logout", {
        method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
        body: JSON.stringify({ refresh_token: session.refresh }),
      });
    }
    signedOut("");
  }

  // -- the reports ---------------------------------------------------------------------------

  function period() {
    return new URLSearchParams({ from: $("from").value, to: $("to").value });
  }

  function days(from, to) {
    const out = [];
    const day = new Date(from + "T00:00:00Z");
    const last = new Date(to + "T00:00:00Z");
    while (day <= last && out.length < 1200) {
      out.push(day.toISOString().slice(0, 10));
      day.setUTCDate(day.getUTCDate() + 1);
    }
    return out;
  }

  function draw(name, canvasId, config) {
    if (charts[name]) charts[name].destroy();
    config.options = {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } }, ...config.options,
    };
    charts[name] = new Chart($(canvasId), config);
  }

  function showTotals(report) {
    const box = $("totals");
    box.replaceChildren();
    const card = (figure, detail) => {
      const node = document.createElement("div");
      node.className = "total";
      const big = document.createElement("div");
      big.className = "figure";
      big.textContent = figure;
      const small = document.createElement("div");
      small.className = "detail";
      small.textContent = detail;
      node.append(big, small);
      box.append(node);
    };
    if (!report.totals.length) card("No sales", `${report.date_from} to ${report.date_to}`);
    for (const total of report.totals) {
      card(`${total.currency} ${total.revenue}`, `${total.orders} orders · ${total.units} units`);
    }
  }

  function showSales(report) {
    const labels = days(report.date_from, report.date_to);
    const currencies = [...new Set(report.rows.map((row) => row.currency))].sort();
    const datasets = currencies.map((currency, i) => {
      const byDay = new Map(report.rows.filter((r) => r.currency === currency)
        .map((r) => [r.key, Number(r.revenue)]));
      return {
        label: `revenue (${currency})`, data: labels.map((day) => byDay.get(day) || 0),
        backgroundColor: COLOURS[i % COLOURS.length],
      };
    });
    if (!datasets.length) datasets.push({ label: "revenue", data: labels.map(() => 0) });
    draw("sales", "sales-chart", {
      type: "bar", data: { labels, datasets },
      options: { scales: { y: { beginAtZero: true } } },
    });
  }

  function showStock(report) {
    const rows = [...report.rows]
      .sort((a, b) => a.available - b.available || a.sku.localeCompare(b.sku))
      .slice(0, MAX_STOCK_BARS);
    const low = (r) => r.available <= r.low_stock_threshold;
    // Two stacked bar series, so that each bar has one colour and the legend says what it means.
    draw("stock", "stock-chart", {
      type: "bar",
      data: {
        labels: rows.map((r) => r.sku),
        datasets: [
          {
            label: "available", data: rows.map((r) => (low(r) ? 0 : r.available)),
            backgroundColor: COLOURS[0], stack: "stock",
          },
          {
            label: "available, at or under its threshold",
            data: rows.map((r) => (low(r) ? r.available : 0)), backgroundColor: LOW,
            stack: "stock",
          },
          {
            type: "line", label: "low-stock threshold", stack: "threshold",
            data: rows.map((r) => r.low_stock_threshold), borderColor: COLOURS[1],
            backgroundColor: COLOURS[1], borderDash: [6, 4], pointRadius: 3,
          },
        ],
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      },
    });
  }

  function showLowStock(report) {
    const body = $("low-stock").tBodies[0];
    body.replaceChildren();
    for (const row of report.rows) {
      const tr = document.createElement("tr");
      for (const [value, cls] of [[row.sku, ""], [row.name, ""], [row.available, "n out"],
                                  [row.threshold, "n"]]) {
        const td = document.createElement("td");
        td.textContent = String(value);
        if (cls) td.className = cls;
        tr.append(td);
      }
      body.append(tr);
    }
    $("low-stock-empty").hidden = report.rows.length > 0;
  }

  function showFunnel(report) {
    const list = $("funnel");
    list.replaceChildren();
    for (const [name, value] of [["carts", report.carts], ["orders created", report.orders_created],
                                 ["orders paid", report.orders_paid],
                                 ["orders confirmed", report.orders_confirmed],
                                 ["orders cancelled", report.orders_cancelled]]) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      list.append(dt, dd);
    }
  }

  async function load(event) {
    if (event) event.preventDefault();
    setState("loading");
    try {
      const query = period();
      const [sales, inventory, lowStock, funnel] = await Promise.all([
        api(`/reports/sales?${query}&group_by=day`).then((r) => r.json()),
        api("/reports/inventory").then((r) => r.json()),
        api("/reports/low-stock").then((r) => r.json()),
        api(`/reports/funnel?${query}`).then((r) => r.json()),
      ]);
      showTotals(sales);
      showSales(sales);
      showStock(inventory);
      showLowStock(lowStock);
      showFunnel(funnel);
      setState("ready");
    } catch (error) {
      if (session.access) setState("error", error.message);
    }
  }

  async function download(event) {
    const format = event.currentTarget.dataset.download;
    try {
      const response = await api(`/reports/sales?${period()}&group_by=day&format=${format}`);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = `sales_${$("from").value}_${$("to").value}.${format}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      if (session.access) setState("error", error.message);
    }
  }

  function start() {
    const today = new Date();
    const start = new Date(today);
    start.setUTCDate(start.getUTCDate() - 29);
    $("to").value = today.toISOString().slice(0, 10);
    $("from").value = start.toISOString().slice(0, 10);
    $("login").addEventListener("submit", signIn);
    $("period").addEventListener("submit", load);
    $("logout").addEventListener("click", signOut);
    for (const button of document.querySelectorAll("[data-download]")) {
      button.addEventListener("click", download);
    }
    setState("signed-out");
  }

  start();
})();
