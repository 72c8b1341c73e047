// The sale in progress: the picked seats, an optional buyer, cash or card; confirmed, the sale is
// stored on this device (and uploaded when the server answers) and the tickets are handed over.
import { gettext } from "../i18n/gettext.js";
import { $ } from "./page.js";
import { renderBasket, renderPicker } from "./picker.js";
import { sell } from "./sales.js";
import * as state from "./state.js";
import { showHandover } from "./tickets.js";

export function wireCheckout(showScreen) {
  $("checkout").addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = state.picked();
    if (!picked.length || state.stopped()) return;
    const form = $("checkout");
    const paymentMethod = form.querySelector("input[name=payment_method]:checked").value;
    const buyer = { name: $("buyer-name").value, email: $("buyer-email").value, phone: $("buyer-phone").value };
    $("sell-button").disabled = true;
    try {
      const sales = await sell({ ticketIds: picked, buyer, paymentMethod });
      state.setPicked([]);
      // The next buyer starts afresh: cash (the default) and no buyer, so one sale's card or name
      // is never carried over to the next by mistake.
      for (const id of ["buyer-name", "buyer-email", "buyer-phone"]) $(id).value = "";
      form.querySelector("input[name=payment_method][value=cash]").checked = true;
      form.querySelector("details.buyer").open = false;
      $("checkout-error").hidden = true;
      showHandover(sales);
      showScreen("handover");
    } catch (error) {
      console.warn("sale refused on this device", error);
      $("checkout-error").hidden = false;
      $("checkout-error").textContent = state.stopped() ? gettext("This box office can no longer sell.")
        : gettext("A picked seat is no longer for sale here. Pick again.");
      renderPicker();
    } finally {
      renderBasket();
    }
  });
  $("clear-button").addEventListener("click", () => {
    state.setPicked([]);
    renderPicker();
  });
}
