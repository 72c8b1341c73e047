// A big zone's sections (docs/adr/0032). A zone of more than BIG_ZONE seats (an arena's floor of
// thousands) is shown a section at a time: its rows, or blocks of SECTION_SIZE seats while rows
// are not assigned, each with its free seats counted live in the section strip. Which section of
// each zone is on the map is kept here; the map (seats.js) draws the section's seats.
import { gettext, ngettext, pgettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import { count } from "./format.js";
import { UNASSIGNED_ROW, loaded, rowsAssigned, zoneSeats, zones } from "./seatstate.js";

export const BIG_ZONE = 240; // more seats than this: shown a section at a time
const SECTION_SIZE = 100; // seats per section where rows are not assigned (and per part of a long row)

const sectionsOf = new Map(); // zone_id -> [{key, label, row, seats: [seat...]}] (big zones, built on each read)
const sectionShown = new Map(); // zone_id -> the key of the section on the map

/** A big zone's sections: each row in the order of its first seat (split in parts of
 * SECTION_SIZE if longer), or blocks of SECTION_SIZE seats while rows are not assigned. */
export function sections(zoneId) {
  if (sectionsOf.has(zoneId)) return sectionsOf.get(zoneId);
  const list = zoneSeats(zoneId);
  const byRow = new Map();
  for (const seat of list) {
    if (!byRow.has(seat.row)) byRow.set(seat.row, []);
    byRow.get(seat.row).push(seat);
  }
  const labelled = rowsAssigned(list);
  const result = [];
  for (const [row, items] of byRow) {
    for (let i = 0; i < items.length; i += SECTION_SIZE) {
      const part = items.slice(i, i + SECTION_SIZE);
      const range = `${part[0].number}–${part[part.length - 1].number}`;
      // `label` in sentences and tooltips; `short` on the section's button.
      let label;
      let short;
      if (!labelled || row === UNASSIGNED_ROW) {
        label = interpolate(gettext("Seats %(range)s"), { range }, true);
        short = range;
      } else if (items.length > SECTION_SIZE) {
        label = short = interpolate(gettext("Row %(row)s · %(range)s"), { row, range }, true);
      } else {
        label = short = interpolate(gettext("Row %(row)s"), { row }, true);
      }
      result.push({ key: `${row}|${part[0].number}`, label, short, row, seats: part });
    }
  }
  sectionsOf.set(zoneId, result);
  return result;
}

/** The zone's seats were read again: its sections are built anew when next asked for. */
export const forget = (zoneId) => sectionsOf.delete(zoneId);

export const isBig = (zoneId) => {
  const z = zones.get(zoneId);
  return loaded.has(zoneId) && ((z && z.seats > BIG_ZONE) || zoneSeats(zoneId).length > BIG_ZONE);
};
const freeIn = (section) => section.seats.reduce((n, s) => n + (s.state === "available" ? 1 : 0), 0);

/** The section of a big zone on the map: the one chosen, else the first with free seats. */
export function currentSection(zoneId) {
  const list = sections(zoneId);
  const key = sectionShown.get(zoneId);
  const found = list.find((x) => x.key === key);
  if (found) return found;
  const first = list.find((x) => freeIn(x) > 0) || list[0];
  if (first) sectionShown.set(zoneId, first.key);
  return first;
}

/** Put this section (its key) of the zone on the map. */
export function choose(zoneId, key) {
  sectionShown.set(zoneId, key);
}

/** Put the section holding this seat on the map, in a big zone; true if another one was there. */
export function chooseSectionOf(seat) {
  if (!isBig(seat.zone_id)) return false;
  const section = sections(seat.zone_id).find((x) => x.seats.includes(seat));
  if (!section || sectionShown.get(seat.zone_id) === section.key) return false;
  sectionShown.set(seat.zone_id, section.key);
  return true;
}

/** The section strip of a big zone (the zone shown): a button per section with its free seats,
 * kept current; pick(key) when one is clicked. */
export function drawSections(shown, pick) {
  const strip = $("sections");
  if (!shown || !isBig(shown)) {
    strip.hidden = true;
    strip.replaceChildren();
    $("sections-head").hidden = true;
    return;
  }
  const list = sections(shown);
  const current = currentSection(shown);
  strip.style.setProperty("--zone", (zones.get(shown) || {}).color || "#64748b");
  strip.hidden = false;
  $("sections-head").hidden = false;
  const byRow = list.some((x) => x.row !== UNASSIGNED_ROW);
  for (const span of $("sections-head").children) span.hidden = (span.dataset.kind === "rows") !== byRow;
  const existing = new Map([...strip.children].map((b) => [b.dataset.section, b]));
  const wanted = list.map((x) => {
    const free = freeIn(x);
    const button = existing.get(x.key) || h("button", { type: "button", class: "section", "data-section": x.key,
                                                       onclick: () => pick(x.key) },
                                            h("span", { class: "section-name" }), h("span", { class: "section-free" }),
                                            h("span", { class: "section-bar" }, h("i")));
    button.classList.toggle("on", x === current);
    button.classList.toggle("full", free === 0);
    button.setAttribute("aria-pressed", x === current ? "true" : "false");
    button.children[0].textContent = x.short;
    button.children[1].textContent = free ? interpolate(ngettext("%(count)s free", "%(count)s free", free),
                                                       { count: count(free) }, true) : pgettext("section of seats", "full");
    button.children[2].firstChild.style.width = `${Math.round((100 * free) / x.seats.length)}%`;
    button.title = interpolate(gettext("%(section)s: %(free)s of %(seats)s seats free"),
                               { section: x.label, free: count(free), seats: count(x.seats.length) }, true);
    return button;
  });
  if (wanted.length !== strip.children.length || wanted.some((b, i) => strip.children[i] !== b)) strip.replaceChildren(...wanted);
  // The section on the map stays in sight in the strip (a search may have picked one far down).
  const on = wanted[list.indexOf(current)];
  if (on && (on.offsetTop < strip.scrollTop || on.offsetTop + on.offsetHeight > strip.scrollTop + strip.clientHeight)) {
    strip.scrollTop = on.offsetTop - (strip.clientHeight - on.offsetHeight) / 2;
  }
}
