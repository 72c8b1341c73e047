// The language switch of the door scanner: one button per language, named in its own language
// (the look of templates/includes/language_switch.html, static/i18n/language_switch.css). That
// switch posts to the server and comes back to the page; this one works offline too: it writes
// the same cookie (so the server's answers follow), loads the catalogue (the service worker
// keeps both) and hands over to `relabel`, which writes the page's texts again. No reload: the
// camera, the queue and the answer on screen carry on.
import { language, switchLanguage } from "../i18n/gettext.js";
import { CONFIG } from "./page.js";
import { TEXTS } from "./texts.js";

let relabel = () => {};

function render() {
  document.documentElement.lang = language;
  for (const group of document.querySelectorAll(".language-switch")) {
    group.classList.add("language-switch--scanner");
    if (!group.children.length) {
      const label = document.createElement("span");
      label.className = "language-switch-label";
      const options = document.createElement("span");
      options.className = "language-switch-options";
      for (const { code, name } of CONFIG.languages) {
        const button = document.createElement("button");
        button.type = "button";
        button.lang = code;
        button.value = code;
        button.textContent = name;
        button.addEventListener("click", () => choose(code));
        options.append(button);
      }
      group.append(label, options);
    }
    group.querySelector(".language-switch-label").textContent = TEXTS.language();
    for (const button of group.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.value === language));
  }
}

async function choose(code) {
  if (code === language) return;
  await switchLanguage(code);
  render();
  relabel();
}

/** Shows the switch; `onSwitch` writes the page's texts again once the new language is in. */
export function wireLanguage(onSwitch) {
  relabel = onSwitch;
  render();
}
