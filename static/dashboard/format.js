// Numbers, shares, times and colours as the dashboard shows them.

export const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
export const pct = (part, whole) => (whole ? (100 * part) / whole : 0);
export const pctText = (p) => `${(Math.round(p * 10) / 10).toFixed(p >= 10 || p === 0 ? 0 : 1)}%`;

// Every time on the dashboard is on the event's clock, with its offset (as core/localtime.py
// writes it on the server: "21:30:05 (UTC+01:00)"), wherever the browser is. The zone comes from
// the page (data-time-zone) and again with each snapshot (event.timezone).
let zone = document.body.dataset.timeZone || "UTC";
let formatters = {};

export function setTimeZone(name) {
  if (!name || name === zone) return;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
  } catch {
    return; // a zone this browser does not know: keep the page's
  }
  zone = name;
  formatters = {};
}

export const timeZone = () => zone;

function formatter(seconds) {
  const key = seconds ? "s" : "m";
  if (!formatters[key]) {
    formatters[key] = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined,
      hourCycle: "h23", timeZoneName: "longOffset",
    });
  }
  return formatters[key];
}

/** {clock: "21:30:05", offset: "UTC+01:00"} on the event's clock. */
export function clockParts(iso, { seconds = true } = {}) {
  const parts = formatter(seconds).formatToParts(new Date(iso));
  const get = (type) => (parts.find((p) => p.type === type) || {}).value || "";
  const clock = [get("hour"), get("minute"), seconds ? get("second") : null].filter((v) => v !== null).join(":");
  const gmt = get("timeZoneName").replace(/^GMT/, "");
  return { clock, offset: `UTC${gmt || "+00:00"}` };
}

/** "21:30:05 (UTC+01:00)" on the event's clock; "–" for nothing. */
export function time(iso, options) {
  if (!iso) return "–";
  const { clock, offset } = clockParts(iso, options);
  return `${clock} (${offset})`;
}

/** The offset of the event's clock at an instant (now by default): "UTC+01:00". */
export const offsetAt = (iso) => clockParts(iso || new Date().toISOString()).offset;

export function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** "#rrggbb" with opacity `a`, as rgba(); slate for anything else. */
export function alpha(hex, a) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  if (!m) return `rgba(148,163,184,${a})`;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${a})`;
}

export const GATE_COLORS = ["#4f8cff", "#2fd17a", "#f5a524", "#e55cff", "#22d3ee", "#ff7a59", "#a3e635", "#f472b6", "#94a3b8"];
