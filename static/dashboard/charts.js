// The two charts, drawn with the vendored Chart.js (static/vendor/chartjs, a classic script that
// sets window.Chart): scans per minute by gate (the last 30 minutes, or the whole night on
// request), and sales by zone.
import { gettext, interpolate, pgettext } from "../i18n/gettext.js";
import { nightSeries } from "./api.js";
import { $, setText, toast } from "./dom.js";
import { GATE_COLORS, alpha, clockName, clockParts, locale, time } from "./format.js";
import * as state from "./state.js";

const charts = {};
let defaultsSet = false;

function chartDefaults() {
  if (defaultsSet) return;
  defaultsSet = true;
  const { defaults } = window.Chart;
  defaults.color = "#8a96ad";
  defaults.borderColor = "rgba(138,150,173,0.12)";
  defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  defaults.font.size = 11;
  defaults.locale = locale(); // tick and tooltip numbers in the page's language
}

/** Creates the chart on first use, then swaps its data without animation. */
function draw(name, canvasId, config, labels, datasets) {
  if (!charts[name]) {
    charts[name] = new window.Chart($(canvasId), { ...config, data: { labels, datasets } });
  } else {
    charts[name].data.labels = labels;
    charts[name].data.datasets = datasets;
    charts[name].update("none");
  }
}

const RATE = {
  type: "line",
  options: {
    responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } } },
    scales: {
      x: { grid: { display: false }, ticks: { autoSkip: false, maxRotation: 0 }, title: { display: true, text: "" } },
      y: { beginAtZero: true, ticks: { precision: 0 } },
    },
  },
};

// Ticks on round minutes of the event's clock (every 5, 10, 15, 30 minutes or 1-3 hours, at most
// a dozen), so that the whole night reads 19:00, 20:00, ... rather than 19:07, 19:32, ...
const STEPS = [1, 5, 10, 15, 30, 60, 120, 180];

function roundTicks(labels) {
  const step = STEPS.find((s) => labels.length / s <= 12) || 240;
  return (value, index) => {
    const [hh, mm] = (labels[index] || "").split(":").map(Number);
    return (hh * 60 + mm) % step === 0 ? labels[index] : null;
  };
}

export function renderRateChart() {
  const snap = state.snapshot();
  const series = snap && state.chartSeries();
  if (!window.Chart || !series) return;
  chartDefaults();
  const names = state.gateNames();
  const order = (snap.checkpoints || []).map((c) => c.checkpoint);
  for (const cp of Object.keys(series.checkpoints)) if (!order.includes(cp)) order.push(cp);
  // Minutes on the event's clock; the axis title says which clock, with its offset.
  const labels = series.minutes.map((m) => clockParts(m, { seconds: false }).clock);
  const last = series.minutes[series.minutes.length - 1];
  const x = charts.rate ? charts.rate.options.scales.x : RATE.options.scales.x;
  x.title.text = clockName(last);
  x.ticks.callback = roundTicks(labels);
  const datasets = order.map((cp, i) => {
    const color = GATE_COLORS[i % GATE_COLORS.length];
    return {
      label: names[cp] || gettext("Unknown gate"), data: (series.checkpoints[cp] || new Array(labels.length).fill(0)).slice(),
      borderColor: color, backgroundColor: alpha(color, 0.12), fill: true, tension: 0.35,
      pointRadius: 0, pointHoverRadius: 4, borderWidth: 2,
    };
  });
  draw("rate", "chart-rate", RATE, labels, datasets);
  renderRangeNote();
}

// ----------------------------------------------------------------- the rate chart's range

function renderRangeNote() {
  const series = state.chartSeries();
  const first = series && series.minutes[0];
  const night = state.chartRange() === "night";
  setText("rate-note", night && first ? interpolate(gettext("since %(time)s"), { time: time(first, { seconds: false }) }, true)
    : night ? gettext("loading…") : "");
  for (const b of document.querySelectorAll("[data-range]")) {
    const on = b.dataset.range === state.chartRange();
    b.classList.toggle("on", on);
    b.setAttribute("aria-pressed", on ? "true" : "false");
  }
}

let loading = null;

/** Reads the whole night's series from the server (on the toggle, and after each reconnect). */
export function loadNight() {
  if (loading) return loading;
  loading = nightSeries()
    .then((series) => { state.setNightSeries(series); })
    .catch((e) => { toast(interpolate(gettext("Could not load the whole night: %(error)s"), { error: e.message }, true), true); })
    .finally(() => { loading = null; renderRateChart(); });
  return loading;
}

/** The "Last 30 min" / "Whole night" buttons. */
export function setupRangeToggle() {
  for (const b of document.querySelectorAll("[data-range]")) {
    b.addEventListener("click", () => {
      state.setChartRange(b.dataset.range);
      if (state.chartRange() === "night") loadNight();
      renderRateChart();
    });
  }
}

const SALES = {
  type: "bar",
  options: {
    indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { display: false }, tooltip: { mode: "index" } },
    scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, grid: { display: false } } },
  },
};

export function renderSalesChart(sales) {
  if (!window.Chart) return;
  chartDefaults();
  const colors = state.zoneColors();
  const zones = sales.zones || [];
  const labels = zones.map((z) => z.zone || z.zone_id);
  const col = (z, a) => alpha(z.color || colors[z.zone_id], a);
  const datasets = [
    { label: pgettext("seats", "Sold"), data: zones.map((z) => z.sold), backgroundColor: zones.map((z) => col(z, 1)) },
    { label: pgettext("seats", "Held"), data: zones.map((z) => z.held), backgroundColor: zones.map((z) => col(z, 0.55)) },
    { label: pgettext("seats", "At a box office"), data: zones.map((z) => z.offline), backgroundColor: zones.map((z) => col(z, 0.3)) },
    { label: pgettext("seats", "Available"), data: zones.map((z) => z.available), backgroundColor: "#243049" },
  ].map((d) => ({ ...d, borderRadius: 4, borderSkipped: false, barThickness: 18 }));
  draw("sales", "chart-sales", SALES, labels, datasets);
}
