/* Behaviour that used to sit in inline attributes and script blocks, which the Content-Security-Policy
   (script-src 'self') does not run: data-autosubmit, data-navigate, data-print, data-confirm, data-geo-auto. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("[data-autosubmit]") && el.form) el.form.submit();
    if (el.matches("[data-navigate]") && el.value) window.location.href = el.value;
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
  // A form whose effect cannot be taken back asks first (data-confirm holds the question).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // Hidden latitude/longitude filled from the browser's location, if it allows (public report).
  var auto = document.querySelector("[data-geo-auto]");
  if (auto && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (p) {
      auto.querySelector('input[name="latitude"]').value = p.coords.latitude.toFixed(6);
      auto.querySelector('input[name="longitude"]').value = p.coords.longitude.toFixed(6);
    }, function () {}, { timeout: 8000 });
  }
})();
