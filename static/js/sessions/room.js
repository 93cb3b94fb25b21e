// The reading room: heartbeats every ~10 s, announcements of state changes in the page's live region,
// page reloads when the reading moves between waiting, live and over, and the chat form's small behaviours.
(function () {
  "use strict";
  var room = document.querySelector("[data-room]");
  if (!room || room.getAttribute("data-room-ready")) return;
  room.setAttribute("data-room-ready", "1");

  var LIVE = ["active", "paused", "reconnecting"];
  var TERMINAL = ["ended", "finalized"];
  var heartbeatUrl = room.getAttribute("data-heartbeat-url");
  var csrf = room.getAttribute("data-csrf-token") || "";
  var seconds = parseInt(room.getAttribute("data-heartbeat-seconds"), 10);
  if (isNaN(seconds) || seconds < 2) seconds = 10;
  var state = room.getAttribute("data-state");
  var lowBalance = "0";
  var timer = null;

  function phase(value) {
    if (value === "waiting") return "waiting";
    if (LIVE.indexOf(value) !== -1) return "live";
    return "over";
  }

  function announce(text) {
    var region = document.querySelector("[data-room-announcer]");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  function beat() {
    if (TERMINAL.indexOf(state) !== -1) return;
    fetch(heartbeatUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.state && phase(data.state) !== phase(state)) window.location.reload();
      })
      .catch(function () {
        /* the network is down: the next beat tries again, the server counts the silence */
      });
  }

  function onStatus(node) {
    var next = node.getAttribute("data-state");
    var low = node.getAttribute("data-low-balance") || "0";
    if (next && next !== state) {
      var before = state;
      state = next;
      room.setAttribute("data-state", next);
      announce("Reading status: " + (node.getAttribute("data-state-label") || next) + ".");
      if (phase(before) !== phase(next)) {
        if (timer) window.clearInterval(timer);
        window.setTimeout(function () {
          window.location.reload();
        }, 1200);
        return;
      }
    }
    if (low === "1" && lowBalance !== "1") announce("Your wallet covers two minutes or less. Add funds to continue.");
    lowBalance = low;
  }

  var initial = document.querySelector("[data-room-status]");
  if (initial) lowBalance = initial.getAttribute("data-low-balance") || "0";

  document.body.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    var status = document.querySelector("[data-room-status]");
    if (status && (target === status || (target && target.id === "room-status"))) onStatus(status);
    var log = document.querySelector("[data-chat-log]");
    if (log && target === log) {
      var seen = {};
      Array.prototype.forEach.call(log.querySelectorAll("[data-chat-message]"), function (item) {
        var id = item.getAttribute("data-chat-message");
        if (seen[id]) item.remove();
        seen[id] = true;
      });
      var scroller = log.closest("[data-chat-scroll]") || log;
      scroller.scrollTop = scroller.scrollHeight;
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (form && form.matches && form.matches("[data-chat-form]") && event.detail.successful) {
      form.reset();
      var field = form.querySelector("textarea, input[type=text]");
      if (field) field.focus();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Enter sends a chat message; Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.shiftKey || !field || field.tagName !== "TEXTAREA") return;
    var form = field.closest("[data-chat-form]");
    if (!form) return;
    event.preventDefault();
    if (typeof form.requestSubmit === "function") form.requestSubmit();
  });

  if (phase(state) !== "over") {
    beat();
    timer = window.setInterval(beat, seconds * 1000);
  }
})();
