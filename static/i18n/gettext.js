// The server's translation catalogue for the JavaScript apps (docs/adr/0029): the same texts,
// the same Spanish, one catalogue (locale/es/LC_MESSAGES/djangojs.po, served as
// /jsi18n/<lang>.json by core/i18n.py).
//
//   (import gettext, ngettext, interpolate and language from this module, e.g. as ../i18n/gettext.js)
//   gettext("Already inside.")
//   interpolate(ngettext("%(count)s scan waiting to upload", "%(count)s scans waiting to upload", n), { count: n }, true)
//
// `make messages` finds texts by these function names (xgettext): call them by name, with plain
// string literals (not template literals), and put variable parts in with interpolate().
//
// The language: the switch's cookie, else the browser's languages, else English; the same rule
// the server applies to Accept-Language, so the page and its scripts agree. This module waits
// (top-level await) for its catalogue, so a module that imports it may translate at import
// time. Offline, a service worker answers the catalogue request from its cache; if nothing
// answers within a few seconds the app starts in English rather than not at all.
// Leaf module: imports nothing.

// settings.LANGUAGES, settings.LANGUAGE_CODE, settings.LANGUAGE_COOKIE_NAME
// (tests/i18n/test_catalogues.py holds these to the settings).
export const LANGUAGES = ["es", "en"];
export const DEFAULT_LANGUAGE = "en";
const COOKIE = "django_language";
const COOKIE_AGE_S = 365 * 24 * 3600; // settings.LANGUAGE_COOKIE_AGE
const LOAD_TIMEOUT_MS = 3000;

/** The catalogue's address for a language: one address per language, so it can be cached. */
export function catalogueUrl(lang) {
  return `/jsi18n/${lang}.json`;
}

function supported(tag) {
  if (!tag) return null;
  const lower = String(tag).toLowerCase();
  if (LANGUAGES.includes(lower)) return lower;
  const base = lower.split("-")[0];
  return LANGUAGES.includes(base) ? base : null;
}

function cookieLanguage() {
  for (const part of (globalThis.document && document.cookie ? document.cookie.split(";") : [])) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return supported(decodeURIComponent(value.join("=")));
  }
  return null;
}

/** The language to show: the switch's cookie, else the first supported browser language. */
export function chooseLanguage() {
  const chosen = cookieLanguage();
  if (chosen) return chosen;
  const nav = globalThis.navigator || {};
  for (const tag of nav.languages || (nav.language ? [nav.language] : [])) {
    const found = supported(tag);
    if (found) return found;
  }
  return DEFAULT_LANGUAGE;
}

async function fetchCatalogue(lang) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), LOAD_TIMEOUT_MS);
  try {
    const response = await fetch(catalogueUrl(lang), { signal: controller.signal, credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } finally {
    clearTimeout(timer);
  }
}

// Our catalogues all use the one/other rule (tests/i18n/test_catalogues.py checks every .po):
// no expression is ever evaluated (the scanner's Content-Security-Policy forbids eval anyway).
function pluralRule(expression) {
  if (expression == null || /^\(?\s*n\s*!=\s*1\s*\)?$/.test(expression)) return (n) => (n != 1 ? 1 : 0);
  console.warn(`gettext.js: unsupported plural rule ${expression}; using one/other`);
  return (n) => (n != 1 ? 1 : 0);
}

let catalog = {};
let pluralIndex = pluralRule(null);
/** The language of the texts in use (the default if its catalogue could not be loaded). */
export let language = chooseLanguage();

/** Load (or switch to) a language's catalogue; false, and English texts, if it cannot be had. */
export async function loadCatalogue(lang = chooseLanguage()) {
  try {
    const data = await fetchCatalogue(lang);
    catalog = data.catalog || {};
    pluralIndex = pluralRule(data.plural);
    language = lang;
    return true;
  } catch (error) {
    console.warn(`gettext.js: no ${lang} catalogue (${error}); texts stay in ${DEFAULT_LANGUAGE}`);
    catalog = {};
    pluralIndex = pluralRule(null);
    language = DEFAULT_LANGUAGE;
    return false;
  }
}

await loadCatalogue(language);

/**
 * The switch for a page that must work without the server (the door scanner, offline): the same
 * cookie Django's set_language writes (so the server answers in it too), then the catalogue.
 * The page rewrites its own texts afterwards. False, and English, if the catalogue cannot be had.
 */
export async function switchLanguage(lang) {
  const chosen = supported(lang);
  if (!chosen) return false;
  document.cookie = `${COOKIE}=${chosen}; path=/; max-age=${COOKIE_AGE_S}; samesite=lax`;
  return loadCatalogue(chosen);
}

export function gettext(msgid) {
  const value = catalog[msgid];
  if (value === undefined || value === "") return msgid;
  return typeof value === "string" ? value : value[0] || msgid;
}

export function ngettext(singular, plural, count) {
  const value = catalog[singular];
  if (Array.isArray(value)) {
    const form = value[pluralIndex(count)];
    if (form) return form;
  } else if (typeof value === "string" && value) {
    return value;
  }
  return count == 1 ? singular : plural;
}

// The same text in different places may need different words ("Open" a gate, "Open" a sheet):
// pgettext("gate", "Open"). Keys are context + "\x04" + msgid, as in gettext's .mo files.
export function pgettext(context, msgid) {
  const value = gettext(`${context}\x04${msgid}`);
  return value.includes("\x04") ? msgid : value;
}

export function npgettext(context, singular, plural, count) {
  const value = ngettext(`${context}\x04${singular}`, `${context}\x04${plural}`, count);
  return value.includes("\x04") ? (count == 1 ? singular : plural) : value;
}

/**
 * Django's interpolate(): `named` replaces %(name)s with obj.name; otherwise each %s takes the
 * next item of the array `obj`.
 */
export function interpolate(fmt, obj, named = false) {
  if (named) return fmt.replace(/%\(\w+\)s/g, (match) => String(obj[match.slice(2, -2)]));
  const values = Array.from(obj || []);
  return fmt.replace(/%s/g, () => String(values.shift()));
}
