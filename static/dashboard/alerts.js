// The alerts card and tile: open alerts first, each in the dashboard's words (alert_words.js)
// with its Acknowledge button.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { alertText, kindLabel, kindLevel } from "./alert_words.js";
import { acknowledgeAlert } from "./api.js";
import { $, h, setText, toast } from "./dom.js";
import { ago, fmt, time } from "./format.js";
import * as state from "./state.js";

export function renderAlerts() {
  const list = $("alerts");
  const alerts = (state.snapshot().alerts || []).slice()
    .sort((a, b) => (a.acknowledged === b.acknowledged ? b.id - a.id : a.acknowledged ? 1 : -1))
    .slice(0, 60);
  const open = alerts.filter((a) => !a.acknowledged);
  setText("v-alerts", fmt(open.length));
  $("v-alerts").className = `tile-value${open.length ? " bad" : " ok"}`;
  setText("v-alerts-sub", open.length ? `${kindLabel(open[0].kind)} · ${ago(open[0].created_at)}` : gettext("all clear"));
  setText("alerts-note", open.length ? interpolate(ngettext("%(n)s open", "%(n)s open", open.length), { n: fmt(open.length) }, true) : "");
  list.textContent = "";
  if (!alerts.length) {
    list.appendChild(h("li", { class: "empty" }, gettext("No alerts. Bursts of refusals, forgeries, silent devices and full zones show up here.")));
    return;
  }
  for (const a of alerts) {
    const level = kindLevel(a.kind);
    const action = a.acknowledged
      ? h("span", { class: "muted small" }, a.acknowledged_by
        ? interpolate(gettext("✓ handled by %(user)s"), { user: a.acknowledged_by }, true) : gettext("✓ handled"))
      : h("button", { class: "btn btn-small", type: "button", "data-action": "ack", onclick: (ev) => acknowledge(a, ev.currentTarget) }, gettext("Acknowledge"));
    list.appendChild(h("li", { class: `alert ${level}${a.acknowledged ? " acked" : ""}`, "data-alert-id": String(a.id), "data-kind": a.kind },
      h("span", { class: `kind kind-${level}` }, kindLabel(a.kind)),
      h("div", { class: "msg" }, h("div", { class: "text" }, alertText(a)), h("div", { class: "when" }, `${time(a.created_at)} · ${ago(a.created_at)}`)),
      action));
  }
}

async function acknowledge(alert, button) {
  button.disabled = true;
  try {
    state.acknowledgeAlert(await acknowledgeAlert(alert.id));
  } catch (e) {
    button.disabled = false;
    toast(interpolate(gettext("Could not acknowledge: %(error)s"), { error: e.message }, true), true);
    return;
  }
  renderAlerts();
}
