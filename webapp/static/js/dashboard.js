/* Dashboard charts (Chart.js, vendored): a click on a bar or slice opens the ledger rows it counts.
   The numbers are links without this script; the charts only add a picture. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colors = ["#1d5fbf", "#e08a00", "#2e7d32", "#c62828", "#6a4fb3", "#00838f"];
  function open(links) {
    return function (event, elements) {
      if (!elements.length) return;
      var el = elements[0];
      var target = Array.isArray(links[0]) ? links[el.datasetIndex][el.index] : links[el.index];
      if (target) window.location.href = target;
    };
  }
  var weekly = document.getElementById("chart-weekly");
  if (weekly) {
    new Chart(weekly, {
      type: "bar",
      data: {
        labels: data.weekly.labels,
        datasets: data.weekly.series.map(function (s, i) {
          return { label: s.label, data: s.values, backgroundColor: colors[i] };
        })
      },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: open(data.weekly.series.map(function (s) { return s.links; }))
      }
    });
  }
  var stage = document.getElementById("chart-stage");
  if (stage) {
    new Chart(stage, {
      type: "doughnut",
      data: { labels: data.stage.labels, datasets: [{ data: data.stage.values, backgroundColor: colors }] },
      options: { maintainAspectRatio: false, animation: false, onClick: open(data.stage.links),
                 plugins: { legend: { position: "right" } } }
    });
  }
})();
