// The event set-up admin's small helpers: the colour picker writes its hex code beside it, the
// zones table says which currency its prices are in, and an add page whose zones or gates are
// ticked by name reloads with the chosen event so its names appear.
"use strict";
(function () {
  document.addEventListener("input", function (e) {
    const picker = e.target;
    if (!picker.classList || !picker.classList.contains("tc-color")) return;
    const hex = picker.parentElement.querySelector(".tc-color-hex");
    if (hex) hex.textContent = picker.value.toUpperCase();
  });

  function priceHeader(currency) {
    const th = document.querySelector("#zones-group th.column-price");
    if (!th || !currency) return;
    const first = th.firstChild;
    if (!first || first.nodeType !== Node.TEXT_NODE) return;
    // The server's own (translated) word for price, with the currency code after it.
    const word = first.textContent.replace(/\s*\([A-Z]{3}\)\s*$/, "").trim();
    first.textContent = word + " (" + currency + ") ";
  }

  document.addEventListener("DOMContentLoaded", function () {
    const currency = document.getElementById("id_currency");
    if (currency) {
      priceHeader(currency.value);
      currency.addEventListener("change", function () { priceHeader(currency.value); });
    }
    const event = document.getElementById("id_event");
    const scoped = document.getElementById("id_zones") || document.getElementById("id_checkpoints");
    if (event && scoped && event.tagName === "SELECT") {
      event.addEventListener("change", function () {
        const url = new URL(window.location.href);
        url.searchParams.set("event", event.value);
        const name = document.getElementById("id_name");
        if (name && name.value) url.searchParams.set("name", name.value);
        window.location.assign(url.toString());
      });
    }
  });
})();
