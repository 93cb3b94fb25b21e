// After a form posts and the page reloads (a message sent), a confirmation marked data-announce-on-load is read
// out, and the form marked data-focus-after-send gets focus back in its first field, ready for the next one.
// When HTMX replaces the part of the page that holds focus (a favorite or "notify me" toggle), focus would
// fall back to <body>. Controls marked data-keep-focus="<key>" get it back: after the swap, the control with the
// same key in the new content takes focus, and its data-announce text is read out by the page's live region.
(function () {
  var pendingKey = null;

  function announce(text) {
    var region = document.getElementById("live-announcer");
    if (!region || !text) return;
    // Clearing first makes screen readers read the same message again if it repeats.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    pendingKey = null;
    if (active && target && target.contains(active) && active.hasAttribute("data-keep-focus")) {
      pendingKey = active.getAttribute("data-keep-focus");
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingKey) return;
    var control = document.querySelector('[data-keep-focus="' + pendingKey + '"]');
    pendingKey = null;
    if (!control) return;
    control.focus();
    announce(control.getAttribute("data-announce"));
  });

  var confirmation = document.querySelector("[data-announce-on-load]");
  if (confirmation) {
    var form = document.querySelector("[data-focus-after-send]");
    var field = form && form.querySelector("textarea, input:not([type=hidden]), select");
    if (field) field.focus();
    announce(confirmation.textContent.trim());
  }
})();
