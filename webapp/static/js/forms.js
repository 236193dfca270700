/* Small conveniences on forms; every form also works without them. */
(function () {
  "use strict";
  // Narrowed pick lists: a choice that names a place (data-street, data-community) or a group
  // (data-group, of the field the select names in data-options-by) shows only when it matches.
  var valueOf = function (name) {
    var field = document.querySelector('select[name="' + name + '"], input[name="' + name + '"]:checked');
    return field ? field.value : "";
  };
  var narrow = function (select) {
    var by = select.getAttribute("data-options-by");
    Array.prototype.forEach.call(select.options, function (o) {
      var wanted = { street: valueOf("street"), community: valueOf("community"), group: by ? valueOf(by) : "" };
      o.hidden = ["street", "community", "group"].some(function (name) {
        var own = o.getAttribute("data-" + name);
        return !!(own && wanted[name] && own !== wanted[name]);
      });
    });
    var chosen = select.options[select.selectedIndex];
    if (chosen && chosen.hidden) select.value = "";
  };
  var narrowed = Array.prototype.filter.call(document.querySelectorAll("select"), function (select) {
    return select.hasAttribute("data-options-by") ||
      !!select.querySelector("option[data-street], option[data-community]");
  });
  if (narrowed.length) {
    var all = function () { narrowed.forEach(narrow); };
    document.addEventListener("change", all);
    all();
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
