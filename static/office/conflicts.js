// Refused sales, as actions for the clerk: each one is money taken for a seat this office could
// not sell (sold online meanwhile, or taken back online), so a refund of what the buyer paid. It
// stays on screen, on every start, until the clerk marks it refunded.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { dateTime, money } from "./format.js";
import { $, el } from "./page.js";
import { acknowledgeRefund, openRefunds } from "./sales.js";
import { methodWord } from "./tickets.js";

const WHY = {
  already_sold: () => gettext("the seat had already been sold elsewhere"),
  not_assigned: () => gettext("the seat had been taken back from this box office"),
};

export async function renderRefunds() {
  const refunds = await openRefunds();
  $("refunds").hidden = refunds.length === 0;
  document.body.dataset.refunds = String(refunds.length);
  $("refunds-title").textContent = interpolate(ngettext("%(count)s refund to give", "%(count)s refunds to give", refunds.length),
    { count: refunds.length }, true);
  $("refunds-list").replaceChildren(...refunds.map((sale) => {
    const done = el("button", { type: "button", className: "btn btn-small", textContent: gettext("Refunded") });
    done.addEventListener("click", async () => {
      done.disabled = true;
      await acknowledgeRefund(sale.sale_id);
      renderRefunds();
    });
    const who = sale.buyer && sale.buyer.name ? sale.buyer.name : gettext("the buyer");
    return el("li", { dataset: { sale: sale.sale_id, reason: sale.reason || "" } },
      el("strong", { className: "refund-amount", textContent: interpolate(gettext("Refund %(amount)s (%(method)s) to %(who)s"),
        { amount: money(sale.price_cents, sale.currency), method: methodWord(sale.payment_method), who }, true) }),
      el("span", { className: "refund-why", textContent: interpolate(gettext("Seat %(seat)s, sold %(when)s: %(why)s."),
        { seat: sale.seat_id, when: dateTime(sale.sold_at), why: (WHY[sale.reason] || (() => gettext("the sale was refused")))() }, true) }),
      done);
  }));
}
