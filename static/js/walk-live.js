// The owner's live walk: tick the elapsed time and draw the route on a
// Leaflet map. The feed itself refreshes through htmx polling. Without map
// tiles (offline, or blocked) the SVG drawing in the feed still shows the
// route, and the Leaflet map shows the line on a blank background.
(function () {
  "use strict";
  var map = null;
  var line = null;

  function points() {
    var script = document.getElementById("route-points");
    try { return script ? JSON.parse(script.textContent) : []; } catch (error) { return []; }
  }

  function drawMap() {
    var container = document.getElementById("walk-map");
    var trail = points();
    if (!container || !window.L) return;
    if (!trail.length) { container.hidden = true; return; }
    container.hidden = false;
    if (!map) {
      map = L.map(container, { attributionControl: true, zoomControl: true });
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19,
        attribution: "&copy; OpenStreetMap contributors",
      }).addTo(map);
      line = L.polyline(trail, { color: "#1f7a5c", weight: 4 }).addTo(map);
      map.fitBounds(line.getBounds(), { padding: [20, 20], maxZoom: 17 });
    } else {
      line.setLatLngs(trail);
    }
  }

  function tick() {
    document.querySelectorAll(".walk-elapsed").forEach(function (el) {
      if (el.dataset.stopped) return;
      var started = new Date(el.dataset.started).getTime();
      var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      var minutes = Math.floor(seconds / 60);
      el.textContent = Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0");
    });
  }

  document.addEventListener("DOMContentLoaded", drawMap);
  document.body.addEventListener("htmx:afterSwap", drawMap);
  if (document.readyState !== "loading") drawMap();
  tick();
  setInterval(tick, 1000);
})();
