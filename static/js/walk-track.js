// The GPS trail of a running walk, recorded on every walker page of the walk
// that has a [data-track-url] element (the running walk and the emergency
// page). Positions are kept in this phone's localStorage and sent in
// batches, so a trail recorded offline is sent once the phone is back online.
(function () {
  "use strict";
  var root = document.querySelector("[data-track-url]");
  if (!root) return;
  var gpsStatus = document.getElementById("gps-status");
  var csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
  var POINTS_KEY = "walk-points-" + root.dataset.reference;
  var BATCH_MS = 10000;

  function message(name, params) {
    var text = root.dataset[name] || "";
    Object.keys(params || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", params[key]);
    });
    return text;
  }
  function pending() {
    try { return JSON.parse(localStorage.getItem(POINTS_KEY) || "[]"); } catch (error) { return []; }
  }
  function keep(points) {
    try { localStorage.setItem(POINTS_KEY, JSON.stringify(points)); } catch (error) { /* storage full */ }
  }
  function showGps() {
    if (gpsStatus) gpsStatus.textContent = message("msgGpsOn", { count: pending().length });
  }
  function showGpsOff() {
    if (gpsStatus) gpsStatus.textContent = message("msgGpsOff");
  }
  function record(position) {
    var points = pending();
    points.push({
      t: position.timestamp || Date.now(),
      lat: Number(position.coords.latitude.toFixed(6)),
      lng: Number(position.coords.longitude.toFixed(6)),
      acc: Math.round(position.coords.accuracy || 0),
    });
    keep(points.slice(-5000));
    showGps();
  }
  var flushing = false;
  function flush() {
    var points = pending();
    if (flushing || !points.length) return Promise.resolve();
    flushing = true;
    var batch = points.slice(0, 500);
    return fetch(root.dataset.trackUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ points: batch }),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok || response.status === 400 || response.status === 409) {
        // Stored, or rejected for good: either way these points are done.
        var sentTimes = {};
        batch.forEach(function (p) { sentTimes[p.t] = true; });
        keep(pending().filter(function (p) { return !sentTimes[p.t]; }));
      }
    }).catch(function () {}).then(function () { flushing = false; showGps(); });
  }
  if ("geolocation" in navigator) {
    navigator.geolocation.watchPosition(record, showGpsOff, {
      enableHighAccuracy: true, maximumAge: 5000, timeout: 30000,
    });
    setInterval(flush, BATCH_MS);
    window.addEventListener("online", flush);
    document.addEventListener("visibilitychange", function () { if (document.hidden) flush(); });
    // Points queued on the previous page go out at once.
    flush();
  } else {
    showGpsOff();
  }
  window.pompygoWalk = Object.assign(window.pompygoWalk || {}, { flush: flush, pending: pending });
})();
