// The service worker of TicketCore's installable apps (served from {{ scope }}sw.js: the door
// scanner by devices/scanner.py, the box-office terminal by offices/terminal.py).
// Precaches the app so an installed device opens it with no network; the API is never cached:
// the app itself decides what to do when the server cannot be reached (docs/adr/0015, 0031).
const VERSION = "{{ version }}";
const PREFIX = "{{ cache_prefix }}"; // one per app: the apps share the origin's caches
const CACHE = `${PREFIX}${VERSION}`;
const SHELL = "{{ scope }}";
const HEALTH = "{{ health }}"; // the app's are-you-there probe: always the network, never a cache
const PRECACHE = {{ precache_json|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: "reload" skips the HTTP cache, so a new version never precaches an old file.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// A page that opened while this worker was installing can miss the claim in "activate"
// (seen under load): the page asks again once the worker is ready, so it is controlled (and
// can load offline) without waiting for the next reload.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "claim") event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname === HEALTH) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    // /scanner/ and /scanner/?pair=CODE are the same page; the script reads the query.
    event.respondWith(shell(request));
    return;
  }
  event.respondWith((async () => {
    const hit = await caches.match(request, { cacheName: CACHE });
    return hit || fetch(request);
  })());
});

// The page from the cache at once (a door phone on bad Wi-Fi must not wait for it); a newer
// page arrives with a new service worker version, never by surprise in the middle of a shift.
async function shell(request) {
  const hit = await caches.match(SHELL, { cacheName: CACHE });
  if (hit) return hit;
  return fetch(request);
}
