// Brand images come from an external host. When one cannot load, it is faded out so the gradient
// beneath it shows instead of a broken-image icon. The alt text stays available to screen readers.
(function () {
  function markBroken(image) {
    image.setAttribute("data-broken", "");
  }

  function watch(image) {
    if (image.complete && image.naturalWidth === 0) {
      markBroken(image);
      return;
    }
    image.addEventListener("error", function () {
      markBroken(image);
    });
  }

  document.querySelectorAll("img[data-fallback]").forEach(watch);
})();
