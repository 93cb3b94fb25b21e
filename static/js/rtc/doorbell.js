/*
 * Doorbell: a content-free "something changed" signal over Agora RTM, so new messages and chat lines show
 * up without waiting for the next HTMX poll. Loaded only when the server has RTM switched on.
 *
 * The [data-rtc-doorbell] element carries the configuration (token endpoints, the use and object id whose
 * access check the server runs, the channel, the event to dispatch). The page asks the server for an RTM
 * token (only participants get one), logs in under a per-page tag and subscribes to the channel.
 *
 * Receiving: any message on the channel is re-dispatched on the element as "rtc:message"; the element's own
 * listener then dispatches data-refresh-event on <body>, which the page's HTMX poller listens to (e.g.
 * hx-trigger="every 5s, rtc-ping from:body"). Nothing read from RTM is shown: the poll asks the server.
 *
 * Ringing: after a successful HTMX post from a form marked data-rtc-doorbell-ring, or once on load when
 * data-ring="true" (a plain post redirected here), the page publishes {"type": "changed"}.
 */
(function () {
  "use strict";

  if (window.SoulSeerRtcDoorbell) {
    return;
  }

  const PING = JSON.stringify({ type: "changed" });
  const REFRESH_GAP_MS = 300; // several pings in a burst cause one refresh

  const postJson = (url, body) => window.SoulSeer.postJson(url, body);

  function loadSdk(url) {
    if (window.AgoraRTM) {
      return Promise.resolve();
    }
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = url;
      script.onload = function () {
        resolve();
      };
      script.onerror = function () {
        reject(new Error("The RTM SDK did not load."));
      };
      document.head.appendChild(script);
    });
  }

  function randomTag() {
    const bytes = new Uint8Array(6);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (byte) {
      return byte.toString(16).padStart(2, "0");
    }).join("");
  }

  class Doorbell {
    constructor(element) {
      const data = element.dataset;
      this.element = element;
      this.config = {
        tokenUrl: data.tokenUrl,
        renewUrl: data.renewUrl,
        use: data.use,
        objectId: data.objectId,
        channel: data.channel,
        refreshEvent: data.refreshEvent,
        ring: data.ring === "true",
        sdkUrl: data.sdkUrl,
      };
      this.tag = randomTag();
      this.rtm = null;
      this.pending = null;
      this.ringOnReady = this.config.ring;
      this.element.addEventListener("rtc:message", () => this.refreshSoon());
      document.body.addEventListener("htmx:afterRequest", (event) => {
        const source = event.detail && event.detail.elt;
        if (event.detail && event.detail.successful && source && source.closest("[data-rtc-doorbell-ring]")) {
          this.ring();
        }
      });
      window.addEventListener("pagehide", () => this.stop());
      this.start().catch(() => {
        // Polling keeps the page up to date; the doorbell only makes it faster.
        this.rtm = null;
      });
    }

    subject() {
      return { use: this.config.use, object_id: this.config.objectId, rtm_tag: this.tag };
    }

    refreshSoon() {
      if (this.pending) {
        return;
      }
      this.pending = window.setTimeout(() => {
        this.pending = null;
        document.body.dispatchEvent(new CustomEvent(this.config.refreshEvent, { bubbles: true }));
      }, REFRESH_GAP_MS);
    }

    async start() {
      const credentials = await postJson(this.config.tokenUrl, this.subject());
      if (!credentials.rtm || credentials.rtm.channel !== this.config.channel) {
        return;
      }
      await loadSdk(this.config.sdkUrl);
      const rtm = new window.AgoraRTM.RTM(credentials.app_id, credentials.rtm.user_id);
      rtm.addEventListener("message", (event) => {
        if (event.channelName && event.channelName !== this.config.channel) {
          return;
        }
        this.element.dispatchEvent(new CustomEvent("rtc:message", { detail: { publisher: event.publisher } }));
      });
      rtm.addEventListener("tokenPrivilegeWillExpire", () => this.renew());
      await rtm.login({ token: credentials.rtm.token });
      await rtm.subscribe(this.config.channel, { withMessage: true, withPresence: false });
      this.rtm = rtm;
      if (this.ringOnReady) {
        this.ringOnReady = false;
        this.ring();
      }
    }

    async renew() {
      try {
        const fresh = await postJson(
          this.config.renewUrl,
          Object.assign(this.subject(), { channel: this.config.channel }),
        );
        if (this.rtm && fresh.rtm) {
          await this.rtm.renewToken(fresh.rtm.token);
        }
      } catch (error) {
        // Access ended (or the server is unreachable): the session ends with the token; polling continues.
      }
    }

    ring() {
      if (!this.rtm) {
        this.ringOnReady = true; // still logging in: ring once ready
        return;
      }
      this.rtm.publish(this.config.channel, PING).catch(() => {});
    }

    stop() {
      if (this.rtm) {
        const rtm = this.rtm;
        this.rtm = null;
        rtm.logout().catch(() => {});
      }
    }
  }

  function init() {
    document.querySelectorAll("[data-rtc-doorbell]").forEach(function (element) {
      if (!element.doorbell) {
        element.doorbell = new Doorbell(element);
      }
    });
  }

  window.SoulSeerRtcDoorbell = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
