/* Small conveniences on forms; every form also works without them. */
(function () {
  "use strict";
  // Communities: show only those of the chosen street.
  var street = document.querySelector('select[name="street"]');
  var community = document.querySelector('select[name="community"]');
  if (street && community) {
    var filter = function () {
      Array.prototype.forEach.call(community.options, function (o) {
        var parent = o.getAttribute("data-parent");
        o.hidden = !!(parent && street.value && parent !== street.value);
      });
      var chosen = community.options[community.selectedIndex];
      if (chosen && chosen.hidden) community.value = "";
    };
    street.addEventListener("change", filter);
    filter();
  }
  // Location from the browser for the latitude/longitude fields.
  var box = document.querySelector("[data-geo]");
  var lat = document.querySelector('input[name="latitude"]');
  var lng = document.querySelector('input[name="longitude"]');
  if (box && lat && lng && navigator.geolocation) {
    box.hidden = false;
    var status = box.querySelector("[data-geo-status]");
    box.querySelector("[data-geo-button]").addEventListener("click", function () {
      status.textContent = status.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        status.textContent = status.dataset.done;
      }, function () { status.textContent = status.dataset.failed; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
})();
