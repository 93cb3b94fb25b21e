// Theme toggle: switches between dark and light at once, then remembers the choice
// (in this browser for visitors, on the account for signed-in users).
(function () {
  var root = document.documentElement;
  var lightQuery = window.matchMedia("(prefers-color-scheme: light)");

  function effectiveTheme() {
    var theme = root.getAttribute("data-theme") || "dark";
    if (theme === "system") return lightQuery.matches ? "light" : "dark";
    return theme;
  }

  function syncButtons() {
    var isLight = effectiveTheme() === "light";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", isLight ? "true" : "false");
    });
  }

  function persist(theme) {
    if (root.getAttribute("data-theme-persist") === "server") {
      var url = root.getAttribute("data-theme-url");
      if (!url) return;
      var body = new URLSearchParams();
      body.set("theme", theme);
      window.SoulSeer.fetch(url, { method: "POST", headers: { "X-Requested-With": "fetch" }, body: body })
        .then(function (response) {
          if (!response.ok) throw new Error("theme not saved: " + response.status);
        })
        .catch(function (error) {
          console.warn(error);
        });
      return;
    }
    try {
      window.localStorage.setItem("soulseer-theme", theme);
    } catch (error) {
      // Storage blocked: the choice lasts for this page only.
    }
  }

  function toggle() {
    var next = effectiveTheme() === "light" ? "dark" : "light";
    root.setAttribute("data-theme", next);
    syncButtons();
    persist(next);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-theme-toggle]");
    if (button) toggle();
  });
  lightQuery.addEventListener("change", syncButtons);
  syncButtons();
})();
