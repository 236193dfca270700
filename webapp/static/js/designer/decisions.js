/* The DMN editor page: dmn-js (DRD and decision tables), validate and deploy; cells with
   problems are highlighted in the table. */
(function () {
  "use strict";
  var D = window.Designer;
  var cfg = D.config();
  var S = cfg.strings;
  var I18N = window.DesignerI18n;
  // dmn-js builds each view with its own options only (no shared modules): translate each one.
  var views = {};
  ["drd", "decisionTable", "literalExpression", "boxedExpression"].forEach(function (id) {
    views[id] = { additionalModules: I18N.modules };
  });
  var dmn = new DmnJS(Object.assign({ container: "#dmn" }, views));
  window.designerDmn = dmn;
  I18N.watch(document.getElementById("dmn")); // what dmn-js does not translate itself
  var tabs = document.getElementById("dmn-views");
  var flagged = [];

  function showTabs() {
    tabs.textContent = "";
    var active = dmn.getActiveView();
    dmn.getViews().forEach(function (view) {
      var label = view.type === "drd" ? I18N.translate("DRD") : (view.element.name || view.element.id);
      var link = D.el("a", { href: "#", text: label, onclick: function (e) { e.preventDefault(); dmn.open(view); } });
      if (active && view.element === active.element && view.type === active.type) link.setAttribute("aria-current", "page");
      tabs.appendChild(link);
    });
  }

  dmn.on("views.changed", function () { showTabs(); highlight(); });

  fetch(cfg.fileUrl, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return dmn.importXML(xml); })
    .then(function () {
      var table = dmn.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
      if (table) dmn.open(table);
      showTabs();
      document.getElementById("dmn").setAttribute("data-ready", "1");
    })
    .catch(function (err) { D.status(document.getElementById("editor-status"), S.loadFailed + " " + err, "error"); });

  function highlight() {
    document.querySelectorAll("#dmn .has-problem").forEach(function (n) { n.classList.remove("has-problem"); });
    flagged.forEach(function (id) {
      document.querySelectorAll('#dmn [data-element-id="' + CSS.escape(id) + '"]').forEach(function (n) {
        n.classList.add("has-problem");
      });
    });
  }

  D.wireActions(cfg, function () {
    return dmn.saveXML({ format: true }).then(function (r) { return [{ name: cfg.fileName, text: r.xml }]; });
  }, {
    mark: function (problems) { flagged = problems.map(function (p) { return p.element_id; }).filter(Boolean); highlight(); },
    pick: function (p) {
      var node = document.querySelector('#dmn [data-element-id="' + CSS.escape(p.element_id) + '"]');
      if (node) { node.scrollIntoView({ block: "center" }); node.focus && node.focus(); }
    }
  });

  document.getElementById("btn-download").addEventListener("click", function () {
    dmn.saveXML({ format: true }).then(function (r) { D.download(cfg.fileName, r.xml); });
  });
})();
