// Disclosure buttons (the Menu button, the account menu): a button with data-disclosure and aria-controls
// shows or hides the element it controls and keeps aria-expanded in step. A target with a data-open attribute
// is shown and hidden by CSS (so a wide screen can always show it); any other target uses the hidden attribute.
// Escape closes and puts focus back on the button; a button with data-disclosure-closes-on-blur also closes
// when focus or a click moves outside the button and its target.
(function () {
  function targetOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function setOpen(button, open) {
    var target = targetOf(button);
    if (!target) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (target.hasAttribute("data-open")) {
      target.setAttribute("data-open", open ? "true" : "false");
    } else {
      target.hidden = !open;
    }
  }

  function openButtons() {
    return Array.prototype.slice.call(document.querySelectorAll('[data-disclosure][aria-expanded="true"]'));
  }

  function contains(button, node) {
    var target = targetOf(button);
    return !!node && (button === node || button.contains(node) || (!!target && target.contains(node)));
  }

  function closesOutside(button) {
    return button.hasAttribute("data-disclosure-closes-on-blur") || button.hasAttribute("data-disclosure-popup");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-disclosure]");
    if (button) setOpen(button, button.getAttribute("aria-expanded") !== "true");
    openButtons().forEach(function (open) {
      if (open !== button && closesOutside(open) && !contains(open, event.target)) setOpen(open, false);
    });
  });

  document.addEventListener("focusout", function (event) {
    // relatedTarget is null when the window itself loses focus: the menu stays as it was then.
    var next = event.relatedTarget;
    if (!next) return;
    openButtons().forEach(function (open) {
      if (open.hasAttribute("data-disclosure-closes-on-blur") && contains(open, event.target) && !contains(open, next)) {
        setOpen(open, false);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var active = document.activeElement;
    var returnTo = null;
    openButtons().forEach(function (open) {
      // The innermost open menu holding focus gets it back on its button (a hidden button cannot take it).
      if (contains(open, active) && open.offsetParent !== null) returnTo = open;
      setOpen(open, false);
    });
    if (returnTo && returnTo !== active) returnTo.focus();
  });
})();
