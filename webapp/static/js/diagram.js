/* Progressive enhancement: draw the project's BPMN diagram with bpmn-js, marking done and current
   steps. Drawn when its <details> is first opened (a hidden canvas cannot be fitted). */
(function () {
  "use strict";
  function draw(canvasEl) {
    if (canvasEl.dataset.drawn || typeof BpmnJS === "undefined") return;
    canvasEl.dataset.drawn = "1";
    var viewer = new BpmnJS({ container: canvasEl });
    fetch(canvasEl.dataset.bpmnUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var mark = function (ids, css) {
          JSON.parse(ids || "[]").forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, css); });
        };
        mark(canvasEl.dataset.done, "done");
        mark(canvasEl.dataset.current, "current");
        canvas.zoom("fit-viewport", "auto");
        canvasEl.setAttribute("data-ready", "1");
      })
      .catch(function () { canvasEl.textContent = canvasEl.dataset.error || "—"; });
  }
  document.querySelectorAll("[data-bpmn-url]").forEach(function (el) {
    var details = el.closest("details");
    if (!details) { draw(el); return; }
    if (details.open) draw(el);
    details.addEventListener("toggle", function () { if (details.open) draw(el); });
  });
})();
