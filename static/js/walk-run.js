// The walker's page during a walk: photo and video uploads that survive a
// flaky connection. walk-track.js records and sends the GPS trail.
//
// Each chosen file goes into an IndexedDB queue with a random upload id
// before anything is sent, so a photo taken offline, or a page closed
// mid-upload, is sent later. The server stores an upload id once, so a
// retry after a lost response does not post the update twice.
(function () {
  "use strict";
  var root = document.getElementById("walk-run");
  if (!root) return;
  var form = document.getElementById("update-form");
  var queueList = document.getElementById("upload-queue");
  var sentList = document.getElementById("sent-media");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var DB_NAME = "pompygo-walk";
  var STORE = "uploads";
  var RETRY_MS = [2000, 5000, 15000, 30000, 60000];
  var sending = false;

  function message(name, params) {
    var text = root.dataset[name] || "";
    Object.keys(params || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", params[key]);
    });
    return text;
  }

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  // IndexedDB queue --------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && result.result); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  var memoryQueue = {};
  function saveItem(item) {
    memoryQueue[item.id] = item;
    return withStore("readwrite", function (store) { store.put(item); }).catch(function () {});
  }
  function deleteItem(id) {
    delete memoryQueue[id];
    return withStore("readwrite", function (store) { store.delete(id); }).catch(function () {});
  }
  function allItems() {
    return withStore("readonly", function (store) { return store.getAll(); })
      .then(function (items) {
        (items || []).forEach(function (item) { memoryQueue[item.id] = memoryQueue[item.id] || item; });
        return Object.values(memoryQueue);
      })
      .catch(function () { return Object.values(memoryQueue); });
  }

  // The queue's rows on the page -------------------------------------------
  function row(item) {
    var existing = document.getElementById("upload-" + item.id);
    if (existing) return existing;
    var li = document.createElement("li");
    li.id = "upload-" + item.id;
    li.className = "mb-2";
    li.dataset.testid = "upload-item";
    li.innerHTML = '<div class="small d-flex justify-content-between"><span class="name"></span><span class="state"></span></div>' +
      '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div class="progress-bar" style="width:0%"></div></div>';
    li.querySelector(".name").textContent = item.name + (item.caption ? " · " + item.caption : "");
    queueList.appendChild(li);
    return li;
  }
  function setState(item, state, percent) {
    var li = row(item);
    var bar = li.querySelector(".progress-bar");
    li.dataset.state = state;
    li.querySelector(".state").textContent = state === "error" ? item.error : message("msg" + state.charAt(0).toUpperCase() + state.slice(1));
    if (state === "error") percent = 100;
    if (percent !== undefined) {
      bar.style.width = percent + "%";
      li.querySelector(".progress").setAttribute("aria-valuenow", percent);
    }
    // Red when not sent, green when sent, striped while waiting to retry.
    bar.classList.toggle("bg-danger", state === "error");
    bar.classList.toggle("bg-success", state === "sent");
    bar.classList.toggle("progress-bar-striped", state === "queued" && (item.attempts || 0) > 0);
    showRetry(li, item, state);
  }
  function showRetry(li, item, state) {
    var button = li.querySelector(".retry");
    var retryable = (state === "error" && item.blob) || (state === "queued" && (item.attempts || 0) > 0);
    if (!retryable) { if (button) button.remove(); return; }
    if (button) return;
    button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-danger mt-1 retry";
    button.dataset.testid = "upload-retry";
    button.textContent = message("msgRetry");
    button.addEventListener("click", function () {
      button.remove();
      item.error = "";
      item.attempts = 0;
      setState(item, "queued", 0);
      saveItem(item).then(drain);
    });
    li.appendChild(button);
  }

  function addSent(result) {
    var col = document.createElement("div");
    col.className = "col";
    if (result.kind === "photo") {
      var img = document.createElement("img");
      img.src = result.url;
      img.alt = result.caption || "";
      img.className = "img-fluid rounded";
      col.appendChild(img);
    } else {
      col.innerHTML = '<div class="ratio ratio-1x1 bg-dark text-white rounded d-flex align-items-center justify-content-center">▶</div>';
    }
    sentList.prepend(col);
  }

  // Sending ------------------------------------------------------------------
  function send(item) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("file", item.blob, item.name);
      data.append("caption", item.caption || "");
      data.append("client_id", item.id);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", root.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) setState(item, "sending", Math.round(100 * event.loaded / event.total));
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (error) { body = {}; }
        if (xhr.status === 200 || xhr.status === 201) {
          setState(item, "sent", 100);
          if (body.created !== false) addSent(body);
          deleteItem(item.id).then(function () { resolve(true); });
        } else if (xhr.status >= 400 && xhr.status < 500 && body.error) {
          // The server rejected the file itself: retrying cannot help.
          item.error = body.error;
          setState(item, "error");
          deleteItem(item.id).then(function () { resolve(true); });
        } else {
          resolve(false);
        }
      };
      xhr.onerror = function () { resolve(false); };
      xhr.ontimeout = function () { resolve(false); };
      setState(item, "sending", 0);
      xhr.send(data);
    });
  }

  function drain() {
    if (sending) return;
    sending = true;
    allItems().then(function (items) {
      items.sort(function (a, b) { return a.added - b.added; });
      var chain = Promise.resolve(true);
      var failed = false;
      items.forEach(function (item) {
        chain = chain.then(function () {
          if (failed) { setState(item, "queued"); return; }
          return send(item).then(function (ok) {
            if (!ok) { failed = true; item.attempts = (item.attempts || 0) + 1; setState(item, "queued"); }
          });
        });
      });
      return chain.then(function () {
        sending = false;
        if (failed) {
          var attempts = Math.max.apply(null, items.map(function (i) { return i.attempts || 0; }));
          setTimeout(drain, RETRY_MS[Math.min(attempts, RETRY_MS.length) - 1] || 2000);
        }
      });
    }).catch(function () { sending = false; });
  }

  function enqueue(file) {
    var isVideo = file.type.indexOf("video/") === 0;
    var max = Number(isVideo ? root.dataset.videoMaxBytes : root.dataset.photoMaxBytes);
    var item = {
      id: randomId(),
      name: file.name || (isVideo ? "video" : "photo"),
      caption: document.getElementById("update-caption").value,
      blob: file,
      added: Date.now(),
      attempts: 0,
    };
    if (file.size > max) {
      item.error = message("msgTooBig", { max: Math.round(max / 1048576) + " MB" });
      item.blob = null;  // Sending it again cannot help, so no retry button.
      setState(item, "error");
      return;
    }
    document.getElementById("update-caption").value = "";
    setState(item, "queued", 0);
    saveItem(item).then(drain);
  }

  form.addEventListener("change", function (event) {
    if (!event.target.classList.contains("walk-file")) return;
    Array.prototype.forEach.call(event.target.files, enqueue);
    event.target.value = "";
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("online", drain);
  allItems().then(function (items) { items.forEach(function (item) { setState(item, "queued"); }); drain(); });

  window.pompygoWalk = Object.assign(window.pompygoWalk || {}, { drain: drain });

  // Elapsed time ---------------------------------------------------------------
  document.querySelectorAll(".walk-elapsed").forEach(function (el) {
    var started = new Date(el.dataset.started).getTime();
    function tick() {
      var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      var minutes = Math.floor(seconds / 60);
      el.textContent = Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0");
    }
    tick();
    setInterval(tick, 1000);
  });
})();
