// Behaviours every page shares.
// - data-confirm="Question?" on a form (or on one of its buttons) asks before a money or destructive action is
//   sent; cancelling sends nothing, for plain forms and HTMX forms alike.
// - An HTMX error answer that names where it goes (HX-Retarget, set by apps/core/htmx.py) is shown there: htmx 2
//   leaves 4xx/5xx answers unswapped otherwise. Other error answers stay unswapped, as htmx intends.
// - A region loading its content with HTMX says so with aria-busy="true" until the content is in place, so a
//   screen reader announces the content once, when it is complete.
(function () {
  "use strict";

  function confirmed(element) {
    var question = element && element.getAttribute && element.getAttribute("data-confirm");
    return !question || window.confirm(question);
  }

  // Capture phase: decided before HTMX or the browser act on the click or the submit.
  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest("button[data-confirm], input[type=submit][data-confirm]");
      if (!button) return;
      if (confirmed(button)) {
        button.setAttribute("data-confirmed", "1");
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    true,
  );

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      if (submitter && submitter.getAttribute("data-confirmed")) {
        submitter.removeAttribute("data-confirmed");
        return; // the button's own question was answered
      }
      if (confirmed(form)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    true,
  );

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail && event.detail.elt;
    if (region && region.getAttribute && region.getAttribute("aria-busy") === "true") {
      region.setAttribute("aria-busy", "false");
    }
  });
})();
