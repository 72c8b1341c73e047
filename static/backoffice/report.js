// The post-event report's charts (templates/backoffice/report.html), drawn with the vendored
// Chart.js (static/vendor/chartjs, a classic script that sets window.Chart) from the report JSON
// embedded in the page. Times arrive as ISO 8601 on the event's clock, so "21:30" is read
// straight from the string, never converted to the browser's zone.

const report = JSON.parse(document.getElementById("report-data").textContent);
const charts = [];

const GATE_COLORS = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626"];
const OK = "#1e8e3e";
const EXIT = "#9ca3af";
const BAD = "#c5221f";

const hhmm = (iso) => (iso ? iso.slice(11, 16) : "");
const labels = report.series.minutes.map(hhmm);
const zoneNote = `${report.event.timezone}`;

function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function draw(canvas, config) {
  if (!canvas) return null;
  const chart = new window.Chart(canvas, config);
  charts.push(chart);
  return chart;
}

const base = (extra = {}) => ({
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
  interaction: { mode: "index", intersect: false },
  plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 10, boxHeight: 10 } } },
  ...extra,
});

const timeAxis = {
  grid: { display: false },
  ticks: { maxTicksLimit: 14, autoSkip: true, maxRotation: 0 },
  title: { display: true, text: `time (${zoneNote})` },
};

function attendanceChart() {
  const a = report.attendance;
  draw(document.getElementById("chart-attendance"), {
    type: "bar",
    data: {
      labels,
      datasets: [
        { type: "line", label: "inside", data: a.map((m) => m.inside), borderColor: "#111827", backgroundColor: "#111827",
          borderWidth: 2, pointRadius: 0, yAxisID: "inside", order: 0 },
        { label: "entries / min", data: a.map((m) => m.entries), backgroundColor: alpha(OK, 0.75), yAxisID: "rate", order: 1 },
        { label: "exits / min", data: a.map((m) => -m.exits), backgroundColor: alpha(EXIT, 0.8), yAxisID: "rate", order: 1 },
      ],
    },
    options: base({
      scales: {
        x: { ...timeAxis, stacked: true },
        rate: { position: "left", stacked: true, title: { display: true, text: "per minute (exits below 0)" }, ticks: { precision: 0 } },
        inside: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "inside" }, ticks: { precision: 0 } },
      },
    }),
  });
}

function gatesChart() {
  const gates = report.gates.filter((g) => g.entries > 0);
  draw(document.getElementById("chart-gates"), {
    type: "line",
    data: {
      labels,
      datasets: gates.map((g, i) => ({
        label: g.name, data: report.series.gates[g.checkpoint_id].entries, borderColor: GATE_COLORS[i % GATE_COLORS.length],
        backgroundColor: alpha(GATE_COLORS[i % GATE_COLORS.length], 0.15), borderWidth: 1.5, pointRadius: 0, fill: false,
      })),
    },
    options: base({ scales: { x: timeAxis, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "entries / min" } } } }),
  });
}

function zonesChart() {
  const datasets = [];
  for (const z of report.zones) {
    const series = report.series.zones[z.zone_id];
    if (!series) continue;
    datasets.push({ label: `${z.name} inside`, data: series.inside, borderColor: z.color, backgroundColor: alpha(z.color, 0.12),
      borderWidth: 2, pointRadius: 0, fill: true });
    datasets.push({ label: `${z.name} seats`, data: labels.map(() => z.capacity), borderColor: z.color, borderDash: [6, 4],
      borderWidth: 1, pointRadius: 0, fill: false });
  }
  draw(document.getElementById("chart-zones"), {
    type: "line",
    data: { labels, datasets },
    options: base({ scales: { x: timeAxis, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "people" } } } }),
  });
}

function flowCharts() {
  for (const canvas of document.querySelectorAll("canvas[data-flow]")) {
    const gate = report.gates.find((g) => g.checkpoint_id === canvas.dataset.flow);
    const s = report.series.gates[canvas.dataset.flow];
    if (!gate || !s) continue;
    const datasets = [{ type: "bar", label: "arrivals / min", data: s.arrivals, backgroundColor: alpha("#2563eb", 0.6), yAxisID: "rate", order: 2 }];
    if (s.capacity) {
      datasets.push({ type: "line", label: "lanes can serve / min", data: s.capacity, borderColor: OK, borderWidth: 1.5,
        pointRadius: 0, stepped: true, yAxisID: "rate", order: 1 });
      datasets.push({ type: "line", label: "queue (people)", data: s.queue, borderColor: BAD, borderWidth: 1.5,
        pointRadius: 0, yAxisID: "queue", order: 0 });
    }
    draw(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: base({
        plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 8, boxHeight: 8, font: { size: 10 } } } },
        scales: {
          x: { ...timeAxis, title: { display: false } },
          rate: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
          queue: { position: "right", beginAtZero: true, display: Boolean(s.capacity), grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
        },
      }),
    });
  }
}

function rejectionsChart() {
  const r = report.rejections;
  draw(document.getElementById("chart-rejections"), {
    type: "bar",
    data: {
      labels: r.map((x) => x.label),
      datasets: [
        { label: "scans", data: r.map((x) => x.count), backgroundColor: alpha(BAD, 0.75) },
        { label: "different codes", data: r.map((x) => x.distinct_codes), backgroundColor: alpha(BAD, 0.35) },
      ],
    },
    options: base({ indexAxis: "y", interaction: { mode: "nearest", intersect: true }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }),
  });
}

function salesChart() {
  const c = report.sales.channels;
  const currency = report.event.currency;
  draw(document.getElementById("chart-sales"), {
    type: "bar",
    data: {
      labels: c.map((x) => x.label),
      datasets: [
        { label: "tickets", data: c.map((x) => x.sold), backgroundColor: alpha("#2563eb", 0.7), yAxisID: "tickets" },
        { label: `revenue (${currency})`, data: c.map((x) => Number(x.revenue)), backgroundColor: alpha(OK, 0.6), yAxisID: "money" },
      ],
    },
    options: base({
      scales: {
        tickets: { position: "left", beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "tickets" } },
        money: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: currency } },
      },
    }),
  });
}

function main() {
  if (!window.Chart) {
    document.body.dataset.charts = "unavailable";
    return;
  }
  const { defaults } = window.Chart;
  defaults.font.family = getComputedStyle(document.body).fontFamily;
  defaults.font.size = 11;
  defaults.color = "#4b5563";
  for (const step of [attendanceChart, gatesChart, zonesChart, flowCharts, rejectionsChart, salesChart]) {
    try {
      step();
    } catch (error) {
      console.error("report chart failed", step.name, error);
    }
  }
  // Print at the paper's width: let every chart take its box's new size before the page is laid out.
  window.addEventListener("beforeprint", () => charts.forEach((c) => c.resize()));
  window.addEventListener("afterprint", () => charts.forEach((c) => c.resize()));
  document.body.dataset.charts = String(charts.length);
}

document.getElementById("print-report")?.addEventListener("click", () => window.print());
main();
