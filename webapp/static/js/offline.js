/* On every page: register the service worker, send what was queued without signal as soon as the
   signal is back, and say how many submissions still wait. Pages work the same without it. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.OfflineQueue) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  var zh = (document.documentElement.lang || "zh").indexOf("en") !== 0;
  var box = document.querySelector("[data-offline-status]");

  function say(outcome) {
    if (!box) return;
    var parts = [];
    if (outcome.sent) parts.push(zh ? "已提交 " + outcome.sent + " 项离线保存的任务。" : outcome.sent + " saved submission(s) sent.");
    if (outcome.waiting) parts.push(zh ? outcome.waiting + " 项待联网后提交。" : outcome.waiting + " waiting for signal.");
    if (outcome.failed) parts.push(zh ? outcome.failed + " 项未通过校验，请打开任务修改。" : outcome.failed + " refused: open the task to correct it.");
    box.textContent = parts.join(" ");
    box.hidden = parts.length === 0;
    box.setAttribute("data-sent", String(outcome.sent));
  }

  function flush() {
    if (navigator.onLine === false) {
      window.OfflineQueue.all().then(function (items) { say({ sent: 0, failed: 0, waiting: items.length }); });
      return;
    }
    window.OfflineQueue.flush().then(function (outcome) {
      say(outcome);
      // The browser says online before a connection goes through: try again until it does.
      if (outcome.waiting) setTimeout(flush, 3000);
    }, function () {});
  }

  window.addEventListener("online", flush);
  flush();
})();
