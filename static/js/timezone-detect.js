// A signed-in user who never chose a time zone gets the browser's, once: the page carries
// data-timezone-detect-url only while their account has no zone of their own (User.takes_browser_timezone),
// and the server takes the value only in that case, so a zone chosen in the settings is never replaced.
(function () {
  var root = document.documentElement;
  var url = root.getAttribute("data-timezone-detect-url");
  if (!url || !window.Intl || !window.SoulSeer) return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  var body = new URLSearchParams();
  body.set("timezone", zone);
  window.SoulSeer.fetch(url, { method: "POST", headers: { "X-Requested-With": "fetch" }, body: body })
    .then(function (response) {
      if (response.ok) root.removeAttribute("data-timezone-detect-url");
    })
    .catch(function (error) {
      console.warn("time zone not saved", error);
    });
})();
