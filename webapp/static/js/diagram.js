/* Progressive enhancement: draw the project's BPMN diagram with bpmn-js, mark done and current
   steps, centre on where the project stands; zoom buttons and drag to pan. Drawn when its
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
        var done = marked(el.dataset.done, "done");
        var current = marked(el.dataset.current, "current");
        canvas.zoom("fit-viewport", "auto");
        var focus = current[0] || done[done.length - 1];
        if (focus && canvas.zoom() < 0.75) {  // a wide diagram: show where the project stands, readable
          canvas.zoom(0.85, { x: focus.x + focus.width / 2, y: focus.y + focus.height / 2 });
          var box = canvas.viewbox();
          canvas.viewbox({ x: focus.x + focus.width / 2 - box.width / 2, y: focus.y + focus.height / 2 - box.height / 2,
                           width: box.width, height: box.height });
        }
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
