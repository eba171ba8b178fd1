// Fill the hidden latitude and longitude of the walk's forms with the
// phone's position, and keep the last one for the emergency button.
(function () {
  "use strict";
  var forms = document.querySelectorAll(".walk-position-form");
  var status = document.querySelector("[data-testid=position-status]");
  if (!forms.length) return;

  function show(key) {
    if (status) status.textContent = status.dataset[key] || "";
  }

  function fill(position) {
    var latitude = position.coords.latitude.toFixed(6);
    var longitude = position.coords.longitude.toFixed(6);
    forms.forEach(function (form) {
      form.querySelector("[name=latitude]").value = latitude;
      form.querySelector("[name=longitude]").value = longitude;
    });
    show("found");
  }

  if (!("geolocation" in navigator)) {
    show("missing");
    return;
  }
  show("waiting");
  navigator.geolocation.watchPosition(fill, function () { show("missing"); }, {
    enableHighAccuracy: true,
    maximumAge: 10000,
    timeout: 20000,
  });
})();
