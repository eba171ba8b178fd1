// Booking form: live price, location from the phone, the map pin or the
// district, and one submission per click. The form works without any of it.
(function () {
  "use strict";

  const form = document.getElementById("booking-form");
  if (!form) return;

  const prices = JSON.parse(document.getElementById("service-prices").textContent);
  const latitude = form.querySelector("[name=latitude]");
  const longitude = form.querySelector("[name=longitude]");
  const district = form.querySelector("[name=district]");
  const status = document.getElementById("location-status");

  function rupiah(amount) {
    return "Rp" + String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function walkCount() {
    const days = form.querySelectorAll("[name=repeat_weekdays]:checked").length;
    const weeks = parseInt(form.querySelector("[name=repeat_weeks]").value, 10);
    return days && weeks > 0 ? days * weeks : 1;
  }

  function updatePrice() {
    const service = form.querySelector("[name=service]:checked");
    const dogs = form.querySelectorAll("[name=dogs]:checked").length;
    const total = document.getElementById("price-total");
    const detail = document.getElementById("price-detail");
    if (!service || !dogs) return;
    const entry = prices[service.value];
    const perWalk = entry.price + entry.extra * (dogs - 1);
    const walks = walkCount();
    total.textContent = rupiah(perWalk * walks);
    detail.textContent = walks > 1
      ? rupiah(perWalk) + " × " + walks + " " + form.dataset.walks
      : rupiah(perWalk) + " " + form.dataset.perWalk;
  }

  function setLocation(lat, lng, label) {
    latitude.value = Number(lat).toFixed(6);
    longitude.value = Number(lng).toFixed(6);
    status.textContent = label + ": " + latitude.value + ", " + longitude.value;
    if (marker) marker.setLatLng([lat, lng]);
    if (map) map.setView([lat, lng], Math.max(map.getZoom(), 15));
  }

  let map = null;
  let marker = null;

  function startMap() {
    const box = document.getElementById("location-map");
    if (typeof L === "undefined" || !box) return;
    box.hidden = false;
    const start = latitude.value && longitude.value
      ? [parseFloat(latitude.value), parseFloat(longitude.value)]
      : [-6.2, 106.75];
    map = L.map(box).setView(start, latitude.value ? 15 : 10);
    let tileErrors = 0;
    const tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "&copy; OpenStreetMap contributors",
    }).addTo(map);
    tiles.on("tileerror", function () {
      tileErrors += 1;
      if (tileErrors === 1) status.textContent = box.dataset.mapFailed;
    });
    JSON.parse(document.getElementById("area-bounds").textContent).forEach(function (b) {
      L.rectangle([[b[0], b[1]], [b[2], b[3]]], { weight: 1, fillOpacity: 0.05 }).addTo(map);
    });
    marker = L.marker(start, { draggable: true }).addTo(map);
    marker.on("dragend", function () {
      const p = marker.getLatLng();
      setLocation(p.lat, p.lng, "📍");
    });
    map.on("click", function (event) {
      setLocation(event.latlng.lat, event.latlng.lng, "📍");
    });
  }

  document.getElementById("use-my-location").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        setLocation(position.coords.latitude, position.coords.longitude, "GPS");
      },
      function (error) {
        status.textContent = error.message;
      },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });

  if (district) {
    const centres = JSON.parse(district.dataset.centres || "{}");
    district.addEventListener("change", function () {
      const centre = centres[district.value];
      if (centre) setLocation(centre[0], centre[1], district.options[district.selectedIndex].text);
    });
  }

  // Times are WIB (UTC+7, no daylight saving) whatever the phone's zone is.
  function updateCancelWarning() {
    const warning = document.getElementById("late-cancel-warning");
    const day = form.querySelector("[name=date]").value;
    const time = form.querySelector("[name=start_time]").value;
    if (!day || !time) {
      warning.hidden = true;
      return;
    }
    const start = Date.parse(day + "T" + time + ":00+07:00");
    const hours = (start - Date.now()) / 3600000;
    warning.hidden = !(hours > 0 && hours < Number(warning.dataset.freeHours));
  }

  function update() {
    updatePrice();
    updateCancelWarning();
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  form.addEventListener("submit", function (event) {
    const button = document.getElementById("submit-booking");
    if (form.dataset.submitted) {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    button.disabled = true;
  });
  // A page restored from the back-forward cache must be submittable again;
  // the server-side token still makes a resubmission book only once.
  window.addEventListener("pageshow", function () {
    delete form.dataset.submitted;
    document.getElementById("submit-booking").disabled = false;
  });

  update();
  startMap();
})();
