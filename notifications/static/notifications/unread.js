// Fill the navbar's unread badge from the unread-count endpoint, and keep it
// current while the page stays open. Fetched after load, so rendering a page
// costs no query for the count.
(function () {
  "use strict";
  const badge = document.querySelector("[data-unread-count-url]");
  if (!badge) {
    return;
  }
  const label = badge.querySelector("[data-unread-number]");
  async function refresh() {
    try {
      const response = await fetch(badge.dataset.unreadCountUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        return;
      }
      const data = await response.json();
      label.textContent = String(data.unread);
      badge.classList.toggle("d-none", data.unread === 0);
    } catch (error) {
      // Offline or the server is restarting: keep the last count shown.
    }
  }
  refresh();
  window.setInterval(refresh, 60000);
})();
