// A stream's page (viewers' and host's): a heartbeat every few seconds keeps the viewer count and the host's
// presence (a host page closed for two minutes ends the stream), the chat form empties after a line is sent,
// and the page reloads when the stream ends (to show the summary) or the viewer loses access (to say so). Chat, events and gifts are polled by
// HTMX; with RTM a doorbell makes them arrive at once. The server checks access on every request.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-stream]");
  if (!root || root.getAttribute("data-live-ready")) return;
  root.setAttribute("data-live-ready", "1");

  var heartbeatUrl = root.getAttribute("data-heartbeat-url");
  var seconds = parseInt(root.getAttribute("data-heartbeat-seconds"), 10);
  if (isNaN(seconds) || seconds < 2) seconds = 10;
  var refreshEvent = root.getAttribute("data-refresh-event") || "live-refresh";

  function beat() {
    window.SoulSeer.fetch(heartbeatUrl, { method: "POST" })
      .then(function (response) {
        if (response.status === 403 || response.status === 404) {
          // Removed by the host, or access withdrawn: the page, reloaded, says so.
          window.location.reload();
          return null;
        }
        return response.json();
      })
      .then(function (body) {
        if (body && body.live === false) {
          window.location.reload();
        }
      })
      .catch(function () {
        // A missed beat is harmless: the next one follows in a few seconds.
      });
  }

  if (heartbeatUrl) {
    beat();
    window.setInterval(beat, seconds * 1000);
  }

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("[data-live-chat-form]") && event.detail.successful) {
      form.reset();
      document.body.dispatchEvent(new CustomEvent(refreshEvent));
    }
  });

  // A gift that arrives plays once; drop the class afterwards so a re-render never replays it.
  document.body.addEventListener("animationend", function (event) {
    var item = event.target.closest && event.target.closest(".gift-arrived");
    if (item) {
      item.classList.add("gift-played");
    }
  });
})();
