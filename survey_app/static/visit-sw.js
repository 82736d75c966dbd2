/* Service worker for the visit pages (scope /field/): network first, the last copy when there is no
   signal, so a reload on a factory floor still opens the visit; answers made offline live in IndexedDB
   (visit.js), never in this cache. Only GET requests of this origin are touched. */
"use strict";
var CACHE = "shuzhen-visit-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) { return; }
  var path = new URL(request.url).pathname;
  if (!(path.indexOf("/field/visits/") === 0 || path.indexOf("/static/") === 0)) { return; }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true }).then(function (hit) {
          return hit || cache.match(path) || Response.error();
        });
      });
    })
  );
});
