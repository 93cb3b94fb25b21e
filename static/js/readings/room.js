// The reading room: heartbeats every ~10 s, announcements of state changes in the page's live region,
// page reloads when the reading moves between waiting, live and over, and the chat form's small behaviours.
// Paid time is the only time anyone gets: as soon as the reading is not active (paused, reconnecting, over)
// the voice/video room leaves its channel and the chat form closes, each saying why; when the reading is
// active again the room rejoins with a fresh token and the chat reopens. The server enforces all of it
// anyway (token expiry at the paid boundary, refused renewals and chat lines, Agora kicking rules).
(function () {
  "use strict";
  var room = document.querySelector("[data-room]");
  if (!room || room.getAttribute("data-room-ready")) return;
  room.setAttribute("data-room-ready", "1");

  var LIVE = ["active", "paused", "reconnecting"];
  var TERMINAL = ["ended", "finalized"];
  var heartbeatUrl = room.getAttribute("data-heartbeat-url");
  var seconds = parseInt(room.getAttribute("data-heartbeat-seconds"), 10);
  if (isNaN(seconds) || seconds < 2) seconds = 10;
  var state = room.getAttribute("data-state");
  var lowBalance = "0";
  var timer = null;
  var mediaState = null;

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

  // What the voice/video room and the chat form say while the reading is not active.
  function mediaMessage(value) {
    if (value === "paused") return room.getAttribute("data-media-paused");
    if (value === "reconnecting") return room.getAttribute("data-media-reconnecting");
    return room.getAttribute("data-media-over");
  }

  function syncMedia(value) {
    if (value === "waiting" || value === mediaState) return;
    mediaState = value;
    var active = value === "active";
    Array.prototype.forEach.call(document.querySelectorAll("[data-rtc-room]"), function (element) {
      var detail = active ? { message: room.getAttribute("data-media-resumed") } : { message: mediaMessage(value) };
      element.dispatchEvent(new CustomEvent(active ? "rtc:resume" : "rtc:suspend", { detail: detail }));
    });
    var form = document.querySelector("[data-chat-form]");
    if (!form) return;
    var fields = form.querySelector("[data-chat-fields]");
    var note = form.querySelector("[data-chat-closed-note]");
    if (fields) fields.disabled = !active;
    if (note) {
      note.hidden = active;
      note.textContent = active ? "" : form.getAttribute("data-closed-" + value) || mediaMessage(value);
    }
  }

  function beat() {
    if (TERMINAL.indexOf(state) !== -1) return;
    window.SoulSeer.fetch(heartbeatUrl, { method: "POST" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || !data.state) return;
        if (phase(data.state) !== phase(state)) window.location.reload();
        else syncMedia(data.state);
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
      syncMedia(next);
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

  // Enter sends a chat message; Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.shiftKey || !field || field.tagName !== "TEXTAREA") return;
    var form = field.closest("[data-chat-form]");
    if (!form) return;
    event.preventDefault();
    if (typeof form.requestSubmit === "function") form.requestSubmit();
  });

  syncMedia(state);
  if (phase(state) !== "over") {
    beat();
    timer = window.setInterval(beat, seconds * 1000);
  }
})();
