/* The diagram heatmap: bpmn-js viewer with an overlay per step (projects waiting, median times);
   the busier a step, the redder its bubble. The table below the diagram has the same figures. */
(function () {
  "use strict";
  var source = document.getElementById("heat-data");
  var el = document.getElementById("heat-canvas");
  if (!source || !el || typeof BpmnJS === "undefined") return;
  var data = JSON.parse(source.textContent);
  var viewer = new BpmnJS({ container: el });
  function esc(text) { var d = document.createElement("div"); d.textContent = text; return d.innerHTML; }
  viewer.importXML(data.xml).then(function () {
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    var max = 1;
    Object.keys(data.elements).forEach(function (id) { max = Math.max(max, data.elements[id].waiting || 0); });
    Object.keys(data.elements).forEach(function (id) {
      var row = data.elements[id];
      var shape = registry.get(id);
      if (!shape) return;  // a step of an older version of the diagram
      if (row.waiting) {
        var heat = Math.round(40 + 215 * row.waiting / max);
        overlays.add(id, { position: { top: -14, right: 14 },
          html: '<div class="heat-badge" style="background:rgb(' + heat + ',40,40)" data-element="' + esc(id) + '">' + row.waiting + "</div>" });
      }
      var lines = [];
      if (row.waiting_hours !== null && row.waiting_hours !== undefined) lines.push(data.labels.waiting + " " + row.waiting_hours + data.labels.h);
      if (row.spent_hours !== undefined) lines.push('<span class="done">' + data.labels.took + " " + row.spent_hours + data.labels.h + "</span>");
      if (lines.length) {
        overlays.add(id, { position: { bottom: -4, left: 0 },
          html: '<div class="heat-time" style="width:' + Math.max(shape.width, 90) + 'px">' + lines.join("<br>") + "</div>" });
      }
    });
    // The whole process is wide: fit it, then (if that is too small to read) zoom in on the busiest step.
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    var busiest = null;
    Object.keys(data.elements).forEach(function (id) {
      if (registry.get(id) && (!busiest || data.elements[id].waiting > data.elements[busiest].waiting)) busiest = id;
    });
    if (busiest && canvas.zoom() < 0.6) {
      canvas.zoom(0.6);
      canvas.scrollToElement(registry.get(busiest), { top: 200, bottom: 200, left: 400, right: 400 });
    }
    el.setAttribute("data-ready", "1");
  }).catch(function (err) { el.textContent = String(err); });
})();
