// Reader dashboard: when a new reading request appears in the polled panel, play a short chime and put a
// marker in the page title (the request card itself is highlighted by its markup), so a reader on another tab notices it.
(function () {
  "use strict";
  if (window.soulseerIncomingRequests) return; // the panel swaps itself in every few seconds
  window.soulseerIncomingRequests = true;

  var seen = {};
  var baseTitle = document.title;
  var audio = null;

  function chime() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
      [660, 880].forEach(function (frequency, index) {
        var start = audio.currentTime + index * 0.18;
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start);
        osc.stop(start + 0.4);
      });
    } catch (error) {
      /* sound is a bonus: the visual cue stays */
    }
  }

  function check() {
    var panel = document.querySelector("[data-incoming-panel]");
    if (!panel) return;
    var ids = (panel.getAttribute("data-request-ids") || "").split(",").filter(Boolean);
    var fresh = ids.filter(function (id) {
      return !seen[id];
    });
    ids.forEach(function (id) {
      seen[id] = true;
    });
    document.title = ids.length ? "(" + ids.length + ") Reading request · " + baseTitle : baseTitle;
    if (fresh.length) {
      panel.setAttribute("data-chimed", fresh.join(","));
      chime();
    }
  }

  // Browsers play sound only after the page got a gesture: any click or key on the dashboard unlocks it.
  function unlock() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) audio = new Context();
      if (audio && audio.state === "suspended") audio.resume();
    } catch (error) {
      /* no audio */
    }
  }
  document.addEventListener("click", unlock, { once: true });
  document.addEventListener("keydown", unlock, { once: true });

  document.body.addEventListener("htmx:afterSettle", check);
  check();
})();
