// Numbers, money, shares, times and colours as the dashboard shows them, in the page's language
// (static/i18n/gettext.js picks it: the switch's cookie, else the browser's languages).
import { gettext, interpolate, language, pgettext } from "../i18n/gettext.js";

// The locale numbers and money are written in: Spanish as in Spain ("1.234,50 €", "12,5 %"),
// English with a 24-hour clock ("€1,234.50", "12.5%").
const LOCALES = { es: "es-ES", en: "en-GB" };
export const locale = () => LOCALES[language] || "en-GB";

const numbers = new Intl.NumberFormat(locale());
export const fmt = (n) => (n === null || n === undefined ? "–" : numbers.format(Number(n)));
export const pct = (part, whole) => (whole ? (100 * part) / whole : 0);

const percents = {};
/** "12.5%" / "12,5 %": one decimal below 10%, none above (and for 0). */
export function pctText(p) {
  const digits = p >= 10 || p === 0 ? 0 : 1;
  if (!percents[digits]) {
    percents[digits] = new Intl.NumberFormat(locale(), { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  return percents[digits].format((Math.round(p * 10) / 10) / 100);
}

const moneys = {};
/** An amount (the API's decimal string, "1234.50") in the event's currency, for the language:
 * "€1,234.50" / "1234,50 €". No currency (an unknown event): the number alone. */
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "–";
  const key = currency || "";
  if (!moneys[key]) {
    try {
      moneys[key] = currency
        ? new Intl.NumberFormat(locale(), { style: "currency", currency })
        : new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      moneys[key] = new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
  }
  return moneys[key].format(Number(amount));
}

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

/** "Europe/Madrid time (UTC+01:00)": which clock the times are on. */
export function clockName(iso) {
  return interpolate(gettext("%(zone)s time (%(offset)s)"), { zone, offset: offsetAt(iso) }, true);
}

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

/** "Sat 5 Dec, 21:30 (UTC+01:00)" / "sáb 5 dic, 21:30 (UTC+01:00)": a time that may not be today. */
export function dayTime(iso) {
  if (!iso) return "–";
  if (!formatters.day) {
    formatters.day = new Intl.DateTimeFormat(locale(), { timeZone: zone, weekday: "short", day: "numeric", month: "short" });
  }
  const { clock, offset } = clockParts(iso, { seconds: false });
  return `${formatters.day.format(new Date(iso))}, ${clock} (${offset})`;
}

/** The offset of the event's clock at an instant (now by default): "UTC+01:00". */
export const offsetAt = (iso) => clockParts(iso || new Date().toISOString()).offset;

export function ago(iso) {
  if (!iso) return gettext("never");
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return interpolate(gettext("%(n)s s ago"), { n: s }, true);
  if (s < 3600) return interpolate(gettext("%(n)s min ago"), { n: Math.floor(s / 60) }, true);
  if (s < 86400) return interpolate(gettext("%(n)s h ago"), { n: Math.floor(s / 3600) }, true);
  return interpolate(gettext("%(n)s d ago"), { n: Math.floor(s / 86400) }, true);
}

/** A duration in seconds: "< 1 s", "12 s", "1.234 s". */
export function seconds(value) {
  const unit = pgettext("unit", "s");
  return value < 1 ? `< 1 ${unit}` : `${fmt(Math.round(value))} ${unit}`;
}

/** A clock difference in milliseconds, signed: "+350 ms", "-1.2 s". */
export function signedMillis(ms) {
  if (ms === null || ms === undefined) return "–";
  const sign = ms > 0 ? "+" : ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${fmt(abs)} ${pgettext("unit", "ms")}`;
  return `${sign}${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(abs / 1000)} ${pgettext("unit", "s")}`;
}

/** "#rrggbb" with opacity `a`, as rgba(); slate for anything else. */
export function alpha(hex, a) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  if (!m) return `rgba(148,163,184,${a})`;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${a})`;
}

export const GATE_COLORS = ["#4f8cff", "#2fd17a", "#f5a524", "#e55cff", "#22d3ee", "#ff7a59", "#a3e635", "#f472b6", "#94a3b8"];
