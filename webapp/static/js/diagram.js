/* Progressive enhancement: draw the project's BPMN diagram with bpmn-js, mark done and current
   steps, the whole diagram in view on open; zoom buttons and drag to pan. Drawn when its
   <details> is first opened (a hidden canvas cannot be fitted). */
(function () {
  "use strict";
  function draw(el) {
    if (el.dataset.drawn || typeof BpmnJS === "undefined") return;
    el.dataset.drawn = "1";
    var viewer = new BpmnJS({ container: el });
    fetch(el.dataset.bpmnUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var marked = function (ids, css) {
          return JSON.parse(ids || "[]").map(registry.get.bind(registry)).filter(function (e) {
            if (e) canvas.addMarker(e.id, css);
            return e;
          });
        };
        marked(el.dataset.done, "done");
        marked(el.dataset.current, "current");
        // The whole diagram on open (the current step is marked in it); the zoom buttons go closer.
        canvas.zoom("fit-viewport", "auto");
        tools(el, canvas);
        el.setAttribute("data-ready", "1");
      })
      .catch(function () { el.textContent = "—"; });
  }
  function tools(el, canvas) {
    var box = el.closest("details").querySelector("[data-diagram-tools]");
    if (box) {
      box.hidden = false;
      box.addEventListener("click", function (ev) {
        var how = ev.target.getAttribute("data-zoom");
        if (how === "fit") canvas.zoom("fit-viewport", "auto");
        else if (how) canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
      });
    }
    var last = null;
    el.addEventListener("pointerdown", function (ev) { last = { x: ev.clientX, y: ev.clientY }; el.setPointerCapture(ev.pointerId); });
    el.addEventListener("pointermove", function (ev) {
      if (!last) return;
      canvas.scroll({ dx: ev.clientX - last.x, dy: ev.clientY - last.y });
      last = { x: ev.clientX, y: ev.clientY };
    });
    ["pointerup", "pointercancel"].forEach(function (t) { el.addEventListener(t, function () { last = null; }); });
  }
  document.querySelectorAll("[data-bpmn-url]").forEach(function (el) {
    var details = el.closest("details");
    if (!details) { draw(el); return; }
    if (details.open) draw(el);
    details.addEventListener("toggle", function () { if (details.open) draw(el); });
  });
})();
