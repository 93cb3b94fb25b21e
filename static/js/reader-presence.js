// Reader dashboard heartbeat: while the reader is online (or in a reading) the page tells the server so
// every ~30 s. Without heartbeats for two minutes the server considers the reader offline. When the server
// answers that the reader is no longer online, the status panel re-renders itself (HTMX event).
(function () {
  "use strict";
  if (window.soulseerReaderPresence) return; // the panel may be swapped in more than once
  window.soulseerReaderPresence = true;

  function marker() {
    return document.querySelector("[data-presence-heartbeat-url]");
  }

  function seconds() {
    var node = marker();
    var value = node ? parseInt(node.getAttribute("data-presence-heartbeat-seconds"), 10) : NaN;
    return isNaN(value) || value < 5 ? 30 : value;
  }

  function beat() {
    var node = marker();
    if (!node || node.getAttribute("data-presence") === "offline") return;
    window.SoulSeer.fetch(node.getAttribute("data-presence-heartbeat-url"), { method: "POST" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.online === false) {
          node.setAttribute("data-presence", "offline");
          document.body.dispatchEvent(new CustomEvent("reader-presence-changed"));
        }
      })
      .catch(function () {
        /* offline network: the next beat tries again */
      });
  }

  function schedule() {
    window.setTimeout(function () {
      beat();
      schedule();
    }, seconds() * 1000);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") beat();
  });
  schedule();
})();
