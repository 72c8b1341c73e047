// Money, counts and times as the sales desk shows them: money in the event's currency, every
// time on the event's clock with its UTC offset ("21:41 (UTC+01:00)"), wherever the browser is.
import { language } from "../i18n/gettext.js";

const body = document.body;
const LOCALE = language === "es" ? "es-ES" : "en-GB";
const CURRENCY = body.dataset.currency || "EUR";
let zone = body.dataset.timeZone || "UTC";
try {
  new Intl.DateTimeFormat(LOCALE, { timeZone: zone });
} catch {
  zone = "UTC"; // a zone this browser does not know
}

const moneyFormat = new Intl.NumberFormat(LOCALE, { style: "currency", currency: CURRENCY });
const countFormat = new Intl.NumberFormat(LOCALE);
const clockFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset",
});

/** Prices are decimal strings ("45.00"); sums are made in cents so they never drift. */
export const cents = (price) => Math.round(Number(price || 0) * 100);
export const money = (centsValue) => moneyFormat.format(centsValue / 100);
export const count = (n) => (n === null || n === undefined ? "–" : countFormat.format(n));

/** "21:41 (UTC+01:00)" on the event's clock. */
export function clock(date) {
  const parts = clockFormat.formatToParts(date instanceof Date ? date : new Date(date));
  const get = (type) => (parts.find((p) => p.type === type) || {}).value || "";
  const offset = get("timeZoneName").replace(/^GMT/, "") || "+00:00";
  return `${get("hour")}:${get("minute")} (UTC${offset})`;
}

/** A countdown: "9:41", "0:07". */
export function countdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The seat number of a seat_id ("A-12" -> "12"). */
export const seatNumber = (seatId) => String(seatId).slice(String(seatId).lastIndexOf("-") + 1);
