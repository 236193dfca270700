/* Service worker: task pages keep working without signal.
   - GET pages and static files: network first, the last copy seen when there is no signal.
   - POST of a task form: when it cannot reach the server, the submission (with its photos) is
     queued in the browser (offline-queue.js) and a page says so; it is sent once the signal
     returns (the pages' offline.js, or a background sync). */
importScripts("/static/js/offline-queue.js");

var CACHE = "xiaosan-pages-v1";
var SHELL = ["/static/css/app.css", "/static/js/offline-queue.js", "/static/js/offline.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function cacheable(request, url) {
  return request.method === "GET" && url.origin === self.location.origin && !url.pathname.startsWith("/api/")
    && !url.pathname.startsWith("/login") && !url.pathname.startsWith("/logout");
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (hit) { return hit || savedPage("nocopy"); });
  });
}

var TEXT = {
  queued: ["已保存在本机，联网后将自动提交。", "Saved on this device; it will be sent when the signal returns."],
  draft: ["当前没有网络，草稿未保存；请在联网后再保存草稿，或直接提交。",
          "No signal: the draft was not saved. Save it again with signal, or submit."],
  nocopy: ["当前没有网络，本页尚未在本机保存过。", "No signal, and this page was not saved on this device before."]
};

function savedPage(kind) {
  var text = TEXT[kind];
  var html = "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    + "<title>离线 · Offline</title><link rel=\"stylesheet\" href=\"/static/css/app.css\"></head><body>"
    + "<main class=\"container\"><section class=\"card\" data-offline-page=\"" + kind + "\"><h1>" + text[0] + "</h1>"
    + "<p class=\"muted\">" + text[1] + "</p>"
    + "<p data-offline-status class=\"flash flash-info\" role=\"status\"></p>"
    + "<p><a class=\"btn\" href=\"/inbox\">待办 · Inbox</a></p></section></main>"
    + "<script src=\"/static/js/offline-queue.js\"></script><script src=\"/static/js/offline.js\"></script>"
    + "</body></html>";
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function submitOrQueue(request) {
  /* A queued submission sent again (the queue's flush sends its Idempotency-Key): without signal it
     stays in the queue. Queuing it here instead would answer 200, and the flush would take that
     for the server's answer and drop it from the queue, sent nowhere. */
  if (request.headers.has("Idempotency-Key")) return fetch(request);
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.formData().then(function (form) {
      if (form.get("action") !== "complete" || !form.get("idempotency_key")) return savedPage("draft");
      var entries = [];
      form.forEach(function (value, name) { entries.push([name, value]); });
      return self.OfflineQueue.add({ key: form.get("idempotency_key"), url: request.url, entries: entries,
                                     savedAt: Date.now() })
        .then(function () { return savedPage("queued"); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method === "POST" && url.origin === self.location.origin && /^\/tasks\/[^/]+$/.test(url.pathname)) {
    event.respondWith(submitOrQueue(request));
  } else if (cacheable(request, url)) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "xiaosan-submissions") event.waitUntil(self.OfflineQueue.flush());
});
