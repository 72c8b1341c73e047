// Money and times as people read them: in the page's language, times in the event's time zone
// (shared/API.md: every time shown to a person is in the event's zone). Amounts are handled in
// cents, from the API's decimal strings, so sums are exact.
import { language } from "../i18n/gettext.js";
import * as state from "./state.js";

export const cents = (amount) => Math.round(Number.parseFloat(amount || "0") * 100);

function event() {
  const stock = state.stock();
  return (stock && stock.meta.event) || (state.device() && state.device().event) || {};
}

export function money(centsValue, currency = event().currency || "EUR") {
  try {
    return new Intl.NumberFormat(language, { style: "currency", currency }).format(centsValue / 100);
  } catch {
    return `${(centsValue / 100).toFixed(2)} ${currency}`;
  }
}

function zoned(options) {
  const timeZone = event().timezone || "UTC";
  try {
    return new Intl.DateTimeFormat(language, { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat(language, { ...options, timeZone: "UTC" });
  }
}

/** "Sat 28 Nov 2026, 21:00" in the event's zone. */
export const dateTime = (iso) => zoned({ weekday: "short", day: "numeric", month: "short", year: "numeric",
  hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

/** "21:04" in the event's zone. */
export const clock = (iso) => zoned({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
