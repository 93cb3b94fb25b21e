// Disclosure buttons (mobile menu, account menu): a button with data-disclosure and aria-controls
// shows or hides the element it controls and keeps aria-expanded in step. Escape closes.
(function () {
  function setOpen(button, open) {
    var target = document.getElementById(button.getAttribute("aria-controls"));
    if (!target) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    target.hidden = !open;
  }

  function openButtons() {
    return document.querySelectorAll('[data-disclosure][aria-expanded="true"]');
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-disclosure]");
    if (button) {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
      return;
    }
    // A click outside an open popup menu closes it.
    openButtons().forEach(function (open) {
      var target = document.getElementById(open.getAttribute("aria-controls"));
      if (open.hasAttribute("data-disclosure-popup") && target && !target.contains(event.target)) {
        setOpen(open, false);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openButtons().forEach(function (open) {
      setOpen(open, false);
      open.focus();
    });
  });
})();
