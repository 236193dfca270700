/* The version page's diagram diff: each [data-diff-canvas] draws a BPMN file with bpmn-js (vendored)
   and marks the elements named in data-marks ({id: "added" | "changed" | "removed"}) with a colour
   and a badge; the lists beside it say the same without JavaScript. */
(function () {
  "use strict";
  var BADGES = { added: "+", changed: "~", removed: "\u2212" };
  function draw(el) {
    if (typeof BpmnJS === "undefined") return;
    var viewer = new BpmnJS({ container: el });
    var marks = JSON.parse(el.getAttribute("data-marks") || "{}");
    fetch(el.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry"), overlays = viewer.get("overlays");
        var count = 0, box = null;
        Object.keys(marks).forEach(function (id) {
          var element = registry.get(id);
          if (!element) return; // drawn nowhere (no shape in the file): listed below only
          // A lane or pool spans the whole width: outlined, not filled, and not what the view centres on.
          var wide = element.type === "bpmn:Lane" || element.type === "bpmn:Participant";
          canvas.addMarker(id, "diff-" + marks[id]);
          if (wide) canvas.addMarker(id, "diff-wide");
          var badge = document.createElement("span");
          badge.className = "diff-badge diff-badge-" + marks[id];
          badge.textContent = BADGES[marks[id]] || "";
          overlays.add(id, { position: { top: -10, right: 10 }, html: badge });
          count += 1;
          if (!wide) box = grow(box, element);
        });
        // The whole diagram is too large to read: open on the changes, with some context around them.
        if (box) canvas.viewbox({ x: box.x - 300, y: box.y - 200, width: box.w + 600, height: box.h + 400 });
        else canvas.zoom("fit-viewport", "auto");
        el.setAttribute("data-marked", String(count));
        el.setAttribute("data-ready", "1");
        pan(el, canvas);
      })
      .catch(function () { el.textContent = "\u2014"; el.setAttribute("data-ready", "0"); });
  }
  function grow(box, element) {
    var points = element.waypoints || [{ x: element.x, y: element.y },
      { x: element.x + element.width, y: element.y + element.height }];
    points.forEach(function (p) {
      if (!box) { box = { x: p.x, y: p.y, right: p.x, bottom: p.y }; }
      box.x = Math.min(box.x, p.x); box.y = Math.min(box.y, p.y);
      box.right = Math.max(box.right, p.x); box.bottom = Math.max(box.bottom, p.y);
    });
    box.w = box.right - box.x; box.h = box.bottom - box.y;
    return box;
  }
  function pan(el, canvas) {
    var last = null;
    el.addEventListener("pointerdown", function (ev) { last = { x: ev.clientX, y: ev.clientY }; });
    el.addEventListener("pointermove", function (ev) {
      if (!last) return;
      canvas.scroll({ dx: ev.clientX - last.x, dy: ev.clientY - last.y });
      last = { x: ev.clientX, y: ev.clientY };
    });
    ["pointerup", "pointerleave", "pointercancel"].forEach(function (t) { el.addEventListener(t, function () { last = null; }); });
    el.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      canvas.zoom(canvas.zoom() * (ev.deltaY < 0 ? 1.1 : 0.9));
    }, { passive: false });
  }
  document.querySelectorAll("[data-diff-canvas]").forEach(draw);
})();
