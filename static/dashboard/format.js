// Numbers, shares, times and colours as the dashboard shows them.

export const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
export const pct = (part, whole) => (whole ? (100 * part) / whole : 0);
export const pctText = (p) => `${(Math.round(p * 10) / 10).toFixed(p >= 10 || p === 0 ? 0 : 1)}%`;

export function time(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

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
