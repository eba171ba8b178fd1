// Keep the walk report safe: every change is copied to this phone's
// storage at once and saved to the server as a draft a moment later. An
// answer that is not a saved draft (offline, or a login page after the
// session expired) leaves the phone's copy, which fills the form again
// the next time the page opens.
(function () {
  "use strict";
  // The page after filing names the filed report's key: its copy is done.
  document.querySelectorAll("[data-filed-draft-key]").forEach(function (el) {
    try {
      localStorage.removeItem(el.dataset.filedDraftKey);
      sessionStorage.removeItem(el.dataset.filedDraftKey + "-filed");
    } catch (error) { /* storage unavailable */ }
  });
  var form = document.getElementById("report-form");
  if (!form) return;
  var key = form.dataset.draftKey;
  var status = document.getElementById("draft-status");
  var timer = null;

  function fields() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken" || el.name === "action") return;
      if (el.type === "radio") { if (el.checked) values[el.name] = el.value; }
      else values[el.name] = el.value;
    });
    return values;
  }

  function restore() {
    var saved;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (error) { saved = null; }
    if (!saved) return;
    Object.keys(saved).forEach(function (name) {
      var elements = form.querySelectorAll("[name='" + name + "']");
      elements.forEach(function (el) {
        if (el.type === "radio") { if (!form.querySelector("[name='" + name + "']:checked")) el.checked = el.value === saved[name]; }
        else if (!el.value) el.value = saved[name];
      });
    });
  }

  function saveToServer() {
    var data = new FormData();
    var values = fields();
    Object.keys(values).forEach(function (name) { data.append(name, values[name]); });
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("action", "draft");
    fetch(window.location.href, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      redirect: "manual",
    }).then(function (response) {
      if (!response.ok) throw new Error("not saved");
      return response.json();
    }).then(function (body) {
      status.textContent = status.dataset.saved.replace("%(time)s", body.saved.slice(11, 16));
    }).catch(function () {
      status.textContent = status.dataset.offline;
    });
  }

  function changed() {
    try { localStorage.setItem(key, JSON.stringify(fields())); } catch (error) { /* storage full */ }
    clearTimeout(timer);
    timer = setTimeout(saveToServer, 1500);
  }

  restore();
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.value === "file") {
      // Kept until the server confirms: the walk's page after filing clears it.
      sessionStorage.setItem(key + "-filed", "1");
    }
  });
  window.addEventListener("online", saveToServer);
})();
