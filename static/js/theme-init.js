// Runs in <head> before the page paints, so an anonymous visitor's saved theme shows without a flash.
// Signed-in users get their stored theme from the server (data-theme-persist="server").
(function () {
  var root = document.documentElement;
  if (root.getAttribute("data-theme-persist") !== "local") return;
  try {
    var saved = window.localStorage.getItem("soulseer-theme");
    if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);
  } catch (error) {
    // Storage can be blocked (private mode); the device preference applies then.
  }
})();
