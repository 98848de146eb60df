// LETI's service worker: makes the app installable and lets Draw and Explore work offline once
// they have been loaded. A classic worker; /pkg/assets.js (written by .ci/build-web) sets
// self.LETI_ASSETS = { version, shell }: this build's id and the files of the app shell.
//   - install: the shell is cached (pages, scripts, style, the wasm and its glue under their
//     content-hashed names, manifest, icons);
//   - content-hashed files (name-0123abcd...): cache first, they never change;
//   - page loads (/, /draw, /explore, with any query): the network's page, else the cached
//     shell, so a new build is seen at once when online;
//   - the other files the app reads (space files, the model list and models, NAS-Bench-101
//     accuracies): network first (the HTTP cache revalidates, so an unchanged file costs one
//     round trip), the cached copy when offline;
//   - everything else (uploads, the collector's other endpoints, health): not touched. The
//     Measure page keeps records it could not upload in IndexedDB and sends them when back online.
// The page posts { kind: "cache", urls } with what it loaded before this worker took control.
importScripts("/pkg/assets.js");

const CACHE = `leti-${self.LETI_ASSETS.version}`;
const HASHED = /[-._][0-9a-f]{8,}\.[a-z0-9]+$/;
const DATA_API = ["/api/v1/models", "/api/v1/nasbench"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(self.LETI_ASSETS.shell)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("leti-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/// Whether a GET of this origin is one the app needs offline.
function cacheable(url) {
  if (url.origin !== self.location.origin) return false;
  const p = url.pathname;
  if (p.startsWith("/api/")) return DATA_API.some((d) => p === d || p.startsWith(d + "/"));
  return p !== "/healthz" && p !== "/sw.js";
}

/// Whether a response may be kept: a success with the whole body (the Cache API refuses 206).
const storable = (resp) => resp.ok && resp.status !== 206;

async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const resp = await fetch(request);
  if (storable(resp)) (await caches.open(CACHE)).put(request, resp.clone());
  return resp;
}

async function networkFirst(request) {
  try {
    const resp = await fetch(request);
    if (storable(resp)) (await caches.open(CACHE)).put(request, resp.clone());
    return resp;
  } catch (e) {
    const hit = await caches.match(request, { ignoreVary: true });
    if (hit) return hit;
    throw e;
  }
}

/// A page load: the network's page, else the cached shell (every route is the same shell).
async function page(request) {
  try {
    return await fetch(request);
  } catch (e) {
    const shell = await caches.match("/index.html");
    if (shell) return shell;
    throw e;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (cacheable(url)) {
    event.respondWith(HASHED.test(url.pathname) ? cacheFirst(request) : networkFirst(request));
  }
});

self.addEventListener("message", (event) => {
  if (event.data?.kind !== "cache") return;
  const urls = event.data.urls.filter((u) => {
    try { return cacheable(new URL(u)); } catch { return false; }
  });
  event.waitUntil(
    caches.open(CACHE).then((c) =>
      Promise.all(urls.map(async (u) => {
        if (await c.match(u)) return;
        const resp = await fetch(u).catch(() => null);
        if (resp && storable(resp)) await c.put(u, resp);
      })),
    ),
  );
});
