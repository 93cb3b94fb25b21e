// One way for scripts to call the site's own endpoints: same-origin credentials, the page's CSRF token (the
// same one HTMX sends through the body's hx-headers), JSON in and out.
//   SoulSeer.fetch(url, { method, json, body, headers, keepalive }) -> fetch's promise
//   SoulSeer.postJson(url, body) -> the parsed answer; a refusal rejects with an Error carrying
//     status, code and the server's message (domain errors answer {detail, code}).
// Loaded in <head> without defer so every other script can use it, whenever it runs.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function soulseerFetch(url, options) {
    var opts = options || {};
    var headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    var method = (opts.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    var body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    return window.fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body,
      keepalive: Boolean(opts.keepalive),
    });
  }

  function postJson(url, body) {
    return soulseerFetch(url, { method: "POST", json: body }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!response.ok) {
            var error = new Error(data.detail || "The server refused the request (" + response.status + ").");
            error.status = response.status;
            error.code = data.code || "";
            throw error;
          }
          return data;
        });
    });
  }

  window.SoulSeer = Object.assign(window.SoulSeer || {}, {
    csrfToken: csrfToken,
    fetch: soulseerFetch,
    postJson: postJson,
  });
})();
