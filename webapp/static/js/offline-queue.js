/* The queue of task submissions made without signal, kept in IndexedDB (photos included) and sent
   again when the signal returns. Shared by the pages (offline.js) and the service worker (sw.js).
   Each submission carries the Idempotency-Key the server rendered into its form, so however often
   it is sent, the server applies it once and answers a replay with the first outcome. */
(function (scope) {
  "use strict";
  var DB = "xiaosan-offline", STORE = "submissions";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        Promise.resolve(work(tx.objectStore(STORE))).then(function (value) { result = value; });
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) {
      return new Promise(function (resolve) {
        var request = store.getAll();
        request.onsuccess = function () { resolve(request.result || []); };
      });
    });
  }

  function add(item) { return run("readwrite", function (store) { store.put(item); }); }
  function remove(key) { return run("readwrite", function (store) { store.delete(key); }); }

  var flushing = null;

  /* Send every queued submission; resolves to {sent, failed, waiting}. A network error leaves the
     rest for the next try; an answer the server refused (not 409: still being processed) is kept
     with its status, for the person to open the task and correct it. */
  function flush() {
    if (flushing) return flushing;
    flushing = all().then(function (items) {
      var outcome = { sent: 0, failed: 0, waiting: 0 };
      return items.reduce(function (chain, item) {
        return chain.then(function (stop) {
          if (stop) { outcome.waiting += 1; return true; }
          var body = new FormData();
          item.entries.forEach(function (pair) { body.append(pair[0], pair[1]); });
          return fetch(item.url, { method: "POST", body: body, credentials: "same-origin",
                                   headers: { "Idempotency-Key": item.key } })
            .then(function (response) {
              if (response.ok) { outcome.sent += 1; return remove(item.key).then(function () { return false; }); }
              if (response.status === 409) { outcome.waiting += 1; return false; }
              outcome.failed += 1;
              item.failed = response.status;
              return add(item).then(function () { return false; });
            }, function () { outcome.waiting += 1; return true; });
        });
      }, Promise.resolve(false)).then(function () { return outcome; });
    }).finally(function () { flushing = null; });
    return flushing;
  }

  scope.OfflineQueue = { add: add, all: all, remove: remove, flush: flush };
})(self);
