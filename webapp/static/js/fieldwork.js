/* 全部合格 on the patrol checklist without a round trip (and without signal): every item not yet
   answered is marked OK; the inspector then marks the exceptions. Without JavaScript the same
   button asks the server to do it. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-all-ok]"), function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var prefix = button.getAttribute("data-all-ok") + ".";
      var groups = {};
      Array.prototype.forEach.call(document.querySelectorAll('input[type="radio"]'), function (input) {
        if (input.name.indexOf(prefix) === 0) (groups[input.name] = groups[input.name] || []).push(input);
      });
      Object.keys(groups).forEach(function (name) {
        var answered = groups[name].some(function (input) { return input.checked; });
        if (!answered) groups[name].forEach(function (input) { input.checked = input.value === "OK"; });
      });
    });
  });
})();

/* GPS check-in on a site visit: the phone's location goes with the submission; the server
   measures the distance to the registered site and applies the district's rule. */
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin]");
  if (!box || !navigator.geolocation) return;
  var lat = box.querySelector('input[name="checkin_lat"]'), lng = box.querySelector('input[name="checkin_lng"]');
  var status = box.querySelector("[data-checkin-status]"), button = box.querySelector("[data-checkin-button]");
  function locate() {
    status.textContent = status.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
      status.textContent = status.dataset.done + " (±" + Math.round(pos.coords.accuracy) + " m)";
    }, function () { status.textContent = status.dataset.failed; }, { enableHighAccuracy: true, timeout: 15000 });
  }
  button.hidden = false;
  button.addEventListener("click", locate);
  if (!lat.value) locate();
})();
