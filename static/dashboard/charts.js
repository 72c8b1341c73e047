// The two charts, drawn with the vendored Chart.js (static/vendor/chartjs, a classic script that
// sets window.Chart): scans per minute by gate, and sales by zone.
import { $ } from "./dom.js";
import { GATE_COLORS, alpha } from "./format.js";
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
      x: { grid: { display: false }, ticks: { maxTicksLimit: 10 } },
      y: { beginAtZero: true, ticks: { precision: 0 } },
    },
  },
};

export function renderRateChart() {
  const snap = state.snapshot();
  if (!window.Chart || !snap.series) return;
  chartDefaults();
  const names = state.gateNames();
  const order = (snap.checkpoints || []).map((c) => c.checkpoint);
  for (const cp of Object.keys(snap.series.checkpoints)) if (!order.includes(cp)) order.push(cp);
  const labels = snap.series.minutes.map((m) => new Date(m).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }));
  const datasets = order.map((cp, i) => {
    const color = GATE_COLORS[i % GATE_COLORS.length];
    return {
      label: names[cp] || cp, data: (snap.series.checkpoints[cp] || new Array(labels.length).fill(0)).slice(),
      borderColor: color, backgroundColor: alpha(color, 0.12), fill: true, tension: 0.35,
      pointRadius: 0, pointHoverRadius: 4, borderWidth: 2,
    };
  });
  draw("rate", "chart-rate", RATE, labels, datasets);
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
    { label: "Sold", data: zones.map((z) => z.sold), backgroundColor: zones.map((z) => col(z, 1)) },
    { label: "Held", data: zones.map((z) => z.held), backgroundColor: zones.map((z) => col(z, 0.55)) },
    { label: "Box office", data: zones.map((z) => z.offline), backgroundColor: zones.map((z) => col(z, 0.3)) },
    { label: "Available", data: zones.map((z) => z.available), backgroundColor: "#243049" },
  ].map((d) => ({ ...d, borderRadius: 4, borderSkipped: false, barThickness: 18 }));
  draw("sales", "chart-sales", SALES, labels, datasets);
}
