/*
 * Voice and video rooms (Agora Web SDK, bundled as static/build/vendor/agora-rtc.js).
 *
 * Every [data-rtc-room][data-rtc-enabled="true"] element is one room; its data-* attributes carry the
 * configuration (token, renewal and presence endpoints, the room's use and object id, modality); requests go
 * through SoulSeer.postJson (static/js/fetch.js), which adds the CSRF token.
 * The server decides everything: the token says whether this person may publish, and the renewal endpoint
 * re-checks access before the token expires. Connection state changes are reported to the presence endpoint.
 *
 * RTM (when the server hands out an RTM token) subscribes to the room's channel. Incoming messages are
 * re-dispatched on the room element as "rtc:message" events, and an "rtc:send" event with a detail object
 * publishes one; pages use them to refresh from the server, which stays the source of truth.
 *
 * Pages whose room may only be used at certain times (a reading is paid by the minute) dispatch
 * "rtc:suspend" (detail: {message}) when it must stop: the room leaves the channel at once, says why in its
 * status (a polite live region) and remembers whether the person was in; "rtc:resume" (detail: {message})
 * rejoins them with a fresh token. A token request refused with a retryable code (the next minute is not
 * paid yet, a pause or reconnection the page has not seen yet) is asked again a few seconds later.
 */
(function () {
  "use strict";

  if (window.SoulSeerRtcRoom) {
    return;
  }

  // Agora's network quality scale: 0 unknown, 1 excellent ... 6 disconnected.
  const QUALITY = ["not measured yet", "excellent", "good", "fair", "poor", "very poor", "disconnected"];
  const STATE_TEXT = {
    CONNECTING: "Connecting…",
    CONNECTED: "Connected.",
    RECONNECTING: "Connection lost, reconnecting…",
    DISCONNECTING: "Leaving…",
    DISCONNECTED: "Not connected.",
  };

  // Refusals that end by themselves: ask again after RETRY_MS (the token endpoint allows 30 a minute).
  const RETRY_CODES = ["payment_pending", "paused", "reconnecting"];
  const RETRY_MS = 4000;
  // Agora removed this person from the channel (a kicking rule): the server decided, so do not retry at once.
  const REMOVED_REASONS = ["UID_BANNED", "CHANNEL_BANNED", "IP_BANNED"];

  const postJson = (url, body) => window.SoulSeer.postJson(url, body);

  function deviceLabel(device, index, kind) {
    return device.label || kind + " " + (index + 1);
  }

  class Room {
    constructor(element) {
      const data = element.dataset;
      this.element = element;
      this.config = {
        tokenUrl: data.tokenUrl,
        renewUrl: data.renewUrl,
        presenceUrl: data.presenceUrl,
        use: data.use,
        objectId: data.objectId,
        modality: data.modality,
        rtm: data.rtm === "true",
      };
      this.ui = {
        status: element.querySelector("[data-rtc-status]"),
        network: element.querySelector("[data-rtc-network]"),
        local: element.querySelector("[data-rtc-local]"),
        localFigure: element.querySelector("[data-rtc-local-figure]"),
        remote: element.querySelector("[data-rtc-remote]"),
        remoteCaption: element.querySelector("[data-rtc-remote-caption]"),
        join: element.querySelector("[data-rtc-join]"),
        mute: element.querySelector("[data-rtc-mute]"),
        camera: element.querySelector("[data-rtc-camera]"),
        leave: element.querySelector("[data-rtc-leave]"),
        mic: element.querySelector("[data-rtc-mic]"),
        cam: element.querySelector("[data-rtc-cam]"),
      };
      this.client = null;
      this.rtm = null;
      this.credentials = null;
      this.audioTrack = null;
      this.videoTrack = null;
      this.connectionState = "DISCONNECTED";
      this.remoteUsers = new Set();
      this.suspension = null; // why the page stopped the room, while it is stopped
      this.rejoinWanted = false; // the person was in (or asked to join): rejoin when the room may be used again
      this.retryTimer = null;
      this.quiet = false; // leaving on the page's order: the server already knows why, no connection report
      this.bind();
    }

    bind() {
      const ui = this.ui;
      ui.join.addEventListener("click", () => this.join());
      ui.leave.addEventListener("click", () => this.leave());
      ui.mute.addEventListener("click", () => this.toggleMicrophone());
      if (ui.camera) {
        ui.camera.addEventListener("click", () => this.toggleCamera());
      }
      ui.mic.addEventListener("change", () => this.switchDevice(this.audioTrack, ui.mic.value));
      if (ui.cam) {
        ui.cam.addEventListener("change", () => this.switchDevice(this.videoTrack, ui.cam.value));
      }
      this.element.addEventListener("rtc:send", (event) => this.sendSignal(event.detail));
      this.element.addEventListener("rtc:suspend", (event) => this.suspend((event.detail || {}).message));
      this.element.addEventListener("rtc:resume", (event) => this.resume((event.detail || {}).message));
    }

    clearRetry() {
      if (this.retryTimer) {
        window.clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
    }

    retryLater(action) {
      this.clearRetry();
      this.retryTimer = window.setTimeout(() => {
        this.retryTimer = null;
        action();
      }, RETRY_MS);
    }

    async suspend(message) {
      const text = message || "Voice and video are paused.";
      this.suspension = text;
      this.clearRetry();
      this.element.setAttribute("data-rtc-suspended", "true");
      if (this.client) {
        this.rejoinWanted = true;
        this.leaving = true;
        this.quiet = true;
        await this.cleanUp();
        this.quiet = false;
        this.connectionState = "DISCONNECTED";
        this.ui.network.textContent = QUALITY[0];
        this.setControls(false);
      }
      if (this.suspension === text) {
        this.say(text + (this.rejoinWanted ? " You will rejoin by yourself when it resumes." : ""));
      }
    }

    resume(message) {
      if (!this.suspension) {
        return;
      }
      this.suspension = null;
      this.element.removeAttribute("data-rtc-suspended");
      if (this.rejoinWanted) {
        this.rejoinWanted = false;
        this.say(message || "Rejoining…");
        this.join();
      } else {
        this.say(message || "Voice and video are available again. Press “Join” when you are ready.");
      }
    }

    subject() {
      return { use: this.config.use, object_id: this.config.objectId };
    }

    say(text) {
      this.ui.status.textContent = text;
    }

    setControls(joined) {
      const publishing = joined && this.credentials && this.credentials.role === "publisher";
      this.ui.join.disabled = joined;
      this.ui.leave.disabled = !joined;
      this.ui.mute.disabled = !(publishing && this.audioTrack);
      this.ui.mic.disabled = !(publishing && this.audioTrack);
      if (this.ui.camera) {
        this.ui.camera.disabled = !(publishing && this.videoTrack);
        this.ui.cam.disabled = !(publishing && this.videoTrack);
      }
    }

    async join() {
      const AgoraRTC = window.AgoraRTC;
      if (!AgoraRTC) {
        this.say("The voice and video library did not load. Reload the page and try again.");
        return;
      }
      this.clearRetry();
      if (this.suspension) {
        this.rejoinWanted = true;
        this.say(this.suspension + " You will join by yourself when it resumes.");
        return;
      }
      if (this.client) {
        return; // already in (or joining)
      }
      this.ui.join.disabled = true;
      this.say("Asking the server for access…");
      let credentials;
      try {
        credentials = await postJson(this.config.tokenUrl, this.subject());
      } catch (error) {
        if (this.suspension) {
          this.rejoinWanted = true;
          return; // the page stopped the room meanwhile; resuming rejoins
        }
        this.say(error.message + (RETRY_CODES.includes(error.code) ? " Trying again in a moment…" : ""));
        if (RETRY_CODES.includes(error.code)) {
          this.ui.leave.disabled = false; // lets the person stop waiting
          this.retryLater(() => this.join());
        } else {
          this.ui.join.disabled = false;
        }
        return;
      }
      if (this.suspension || this.client) {
        this.rejoinWanted = this.rejoinWanted || Boolean(this.suspension);
        return;
      }
      this.credentials = credentials;
      AgoraRTC.setLogLevel(3);
      if (typeof AgoraRTC.disableLogUpload === "function") {
        AgoraRTC.disableLogUpload();
      }
      const client = AgoraRTC.createClient({ mode: credentials.profile === "live" ? "live" : "rtc", codec: "vp8" });
      this.client = client;
      this.leaving = false;
      this.listen(client);
      this.ui.leave.disabled = false; // joining can take a while on a poor network: let people give up
      try {
        if (credentials.profile === "live") {
          await client.setClientRole(credentials.role === "publisher" ? "host" : "audience");
        }
        await client.join(credentials.app_id, credentials.channel, credentials.token, credentials.uid);
        if (credentials.role === "publisher") {
          await this.publish();
        } else {
          // Viewers publish nothing: their own tile would stay empty.
          this.ui.localFigure.hidden = true;
          this.say("Connected. You are watching and listening.");
        }
        this.setControls(true);
      } catch (error) {
        if (this.leaving || this.client !== client) {
          return; // the person pressed Leave while joining; leave() has already cleaned up
        }
        this.say("Could not join the room: " + (error && error.message ? error.message : error));
        await this.cleanUp();
        this.setControls(false);
        return;
      }
      if (credentials.rtm && this.config.rtm && window.AgoraRTM) {
        this.startSignalling(credentials).catch(() => {
          // Chat and events still reach everyone through the server; signalling only makes them faster.
          this.rtm = null;
        });
      }
    }

    listen(client) {
      client.on("connection-state-change", (current, previous, reason) => {
        this.connectionState = current;
        if (this.quiet) {
          return;
        }
        this.say(STATE_TEXT[current] || current);
        this.report(current, previous, reason);
        if (current === "DISCONNECTED" && REMOVED_REASONS.includes(reason) && !this.leaving) {
          this.removed();
        }
      });
      client.on("network-quality", (stats) => {
        const up = QUALITY[stats.uplinkNetworkQuality] || QUALITY[0];
        const down = QUALITY[stats.downlinkNetworkQuality] || QUALITY[0];
        this.ui.network.textContent = "sending " + up + ", receiving " + down;
      });
      client.on("user-published", async (user, mediaType) => {
        await client.subscribe(user, mediaType);
        this.remoteUsers.add(user.uid);
        if (mediaType === "video" && user.videoTrack) {
          user.videoTrack.play(this.remoteTile(user.uid));
        }
        if (mediaType === "audio" && user.audioTrack) {
          user.audioTrack.play();
        }
        this.updateRemoteCaption();
      });
      client.on("user-unpublished", (user, mediaType) => {
        if (mediaType === "video") {
          this.removeRemoteTile(user.uid);
        }
      });
      client.on("user-joined", (user) => {
        this.remoteUsers.add(user.uid);
        this.updateRemoteCaption();
      });
      client.on("user-left", (user) => {
        this.remoteUsers.delete(user.uid);
        this.removeRemoteTile(user.uid);
        this.updateRemoteCaption();
      });
      client.on("token-privilege-will-expire", () => this.renew());
      client.on("token-privilege-did-expire", () => this.expired());
    }

    remoteTile(uid) {
      const id = this.element.id + "-remote-" + uid;
      let tile = this.ui.remote.querySelector('[data-rtc-uid="' + uid + '"]');
      if (!tile) {
        tile = document.createElement("div");
        tile.setAttribute("data-rtc-uid", String(uid));
        tile.id = id;
        tile.className = "h-full w-full";
        this.ui.remote.appendChild(tile);
      }
      return tile;
    }

    removeRemoteTile(uid) {
      const tile = this.ui.remote.querySelector('[data-rtc-uid="' + uid + '"]');
      if (tile) {
        tile.remove();
      }
    }

    updateRemoteCaption() {
      const count = this.remoteUsers.size;
      this.ui.remoteCaption.textContent =
        count === 0 ? "No one else has joined yet." : count === 1 ? "One other person is here." : count + " others are here.";
    }

    async publish() {
      const AgoraRTC = window.AgoraRTC;
      const withVideo = this.credentials.modality === "video" && this.config.modality === "video";
      this.say("Starting your microphone" + (withVideo ? " and camera…" : "…"));
      this.audioTrack = await AgoraRTC.createMicrophoneAudioTrack();
      const tracks = [this.audioTrack];
      if (withVideo) {
        this.videoTrack = await AgoraRTC.createCameraVideoTrack();
        tracks.push(this.videoTrack);
        this.videoTrack.play(this.ui.local);
      }
      await this.client.publish(tracks);
      this.say("Connected. Others can hear" + (withVideo ? " and see" : "") + " you.");
      await this.fillDevices();
    }

    async fillDevices() {
      const AgoraRTC = window.AgoraRTC;
      const fill = (select, devices, current, kind) => {
        select.replaceChildren();
        devices.forEach((device, index) => {
          const option = document.createElement("option");
          option.value = device.deviceId;
          option.textContent = deviceLabel(device, index, kind);
          option.selected = device.deviceId === current;
          select.appendChild(option);
        });
      };
      try {
        const microphones = await AgoraRTC.getMicrophones();
        const currentMic = this.audioTrack.getMediaStreamTrack().getSettings().deviceId;
        fill(this.ui.mic, microphones, currentMic, "Microphone");
        if (this.ui.cam && this.videoTrack) {
          const cameras = await AgoraRTC.getCameras();
          fill(this.ui.cam, cameras, this.videoTrack.getMediaStreamTrack().getSettings().deviceId, "Camera");
        }
      } catch (error) {
        // Device lists are a convenience; the default devices keep working.
      }
    }

    async switchDevice(track, deviceId) {
      if (!track || !deviceId) {
        return;
      }
      try {
        await track.setDevice(deviceId);
      } catch (error) {
        this.say("Could not switch to that device: " + error.message);
      }
    }

    async toggleMicrophone() {
      if (!this.audioTrack) {
        return;
      }
      const muted = this.ui.mute.getAttribute("aria-pressed") !== "true";
      await this.audioTrack.setMuted(muted);
      this.ui.mute.setAttribute("aria-pressed", String(muted));
      this.say(muted ? "Your microphone is muted." : "Your microphone is on.");
    }

    async toggleCamera() {
      if (!this.videoTrack) {
        return;
      }
      const off = this.ui.camera.getAttribute("aria-pressed") !== "true";
      await this.videoTrack.setMuted(off);
      this.ui.camera.setAttribute("aria-pressed", String(off));
      this.say(off ? "Your camera is off." : "Your camera is on.");
    }

    async renew() {
      const client = this.client;
      if (!client || !this.credentials || this.suspension) {
        return;
      }
      try {
        const fresh = await postJson(
          this.config.renewUrl,
          Object.assign(this.subject(), { channel: this.credentials.channel }),
        );
        if (this.client !== client) {
          return; // left meanwhile
        }
        this.credentials = Object.assign({}, this.credentials, fresh);
        await client.renewToken(fresh.token);
        if (this.rtm && fresh.rtm) {
          await this.rtm.renewToken(fresh.rtm.token);
        }
      } catch (error) {
        if (this.client !== client || this.suspension) {
          return;
        }
        if (error.code === "payment_pending") {
          // The tick charges the next minute within seconds of its start; ask again until the token runs out.
          this.retryLater(() => this.renew());
          return;
        }
        this.say(error.message + " You will be disconnected when your current access ends.");
      }
    }

    // The token ran out (its privileges end with the time paid for): leave, and come back as soon as a new
    // token is given, unless the page stopped the room (then resuming rejoins).
    async expired() {
      this.say("Your access to this room has ended.");
      await this.leave();
      this.rejoinWanted = true;
      if (!this.suspension) {
        this.say("Your access to this room has ended. Trying again in a moment…");
        this.retryLater(() => {
          this.rejoinWanted = false;
          this.join();
        });
      }
    }

    // Agora removed this person from the channel on the server's request (the reading paused or ended).
    async removed() {
      this.leaving = true;
      this.quiet = true;
      await this.cleanUp();
      this.quiet = false;
      this.connectionState = "DISCONNECTED";
      this.setControls(false);
      this.rejoinWanted = true;
      this.say(this.suspension || "The server closed your access to this room. You will rejoin when it allows it.");
      if (!this.suspension) {
        this.retryLater(() => {
          this.rejoinWanted = false;
          this.join();
        });
      }
    }

    report(state, previous, reason) {
      postJson(
        this.config.presenceUrl,
        Object.assign(this.subject(), { state: state, previous_state: previous || "", reason: reason || "" }),
      ).catch(() => {
        // Presence is also tracked by heartbeats and Agora's own notifications.
      });
    }

    async startSignalling(credentials) {
      const rtm = new window.AgoraRTM.RTM(credentials.app_id, credentials.rtm.user_id);
      rtm.addEventListener("message", (event) => {
        let detail = event.message;
        try {
          detail = JSON.parse(event.message);
        } catch (error) {
          // Plain text messages are passed on as they are.
        }
        this.element.dispatchEvent(
          new CustomEvent("rtc:message", { detail: { publisher: event.publisher, message: detail } }),
        );
      });
      rtm.addEventListener("tokenPrivilegeWillExpire", () => this.renew());
      await rtm.login({ token: credentials.rtm.token });
      await rtm.subscribe(credentials.rtm.channel);
      this.rtm = rtm;
    }

    sendSignal(detail) {
      if (this.rtm && this.credentials && this.credentials.rtm) {
        this.rtm.publish(this.credentials.rtm.channel, JSON.stringify(detail)).catch(() => {});
      }
    }

    async cleanUp() {
      [this.audioTrack, this.videoTrack].forEach((track) => {
        if (track) {
          track.close();
        }
      });
      this.audioTrack = null;
      this.videoTrack = null;
      this.ui.mute.setAttribute("aria-pressed", "false");
      if (this.ui.camera) {
        this.ui.camera.setAttribute("aria-pressed", "false");
      }
      if (this.rtm) {
        const rtm = this.rtm;
        this.rtm = null;
        rtm.logout().catch(() => {});
      }
      if (this.client) {
        // Forgotten before leaving: a join or resume that comes meanwhile starts a new client.
        const client = this.client;
        this.client = null;
        await client.leave().catch(() => {});
        client.removeAllListeners();
      }
      this.remoteUsers.clear();
      this.ui.remote.replaceChildren();
      this.ui.local.replaceChildren();
      this.ui.localFigure.hidden = false;
      this.updateRemoteCaption();
    }

    async leave() {
      this.leaving = true;
      this.clearRetry();
      this.rejoinWanted = false;
      await this.cleanUp();
      // Leaving normally fires connection-state-change (reported there); report it here only if it did not.
      if (this.connectionState !== "DISCONNECTED") {
        this.report("DISCONNECTED", this.connectionState, "LEAVE");
      }
      this.connectionState = "DISCONNECTED";
      this.ui.network.textContent = QUALITY[0];
      this.setControls(false);
      this.say("You left the room.");
    }
  }

  function start() {
    document.querySelectorAll('[data-rtc-room][data-rtc-enabled="true"]').forEach((element, index) => {
      if (!element.id) {
        element.id = "rtc-room-" + index;
      }
      element.rtcRoom = new Room(element);
    });
  }

  // Closing or navigating away: leave the channel and tell the server at once (keepalive lets the report
  // outlive the page), rather than waiting for heartbeats to time out.
  window.addEventListener("pagehide", () => {
    document.querySelectorAll("[data-rtc-room]").forEach((element) => {
      const room = element.rtcRoom;
      if (room && room.client && room.connectionState !== "DISCONNECTED") {
        room.leaving = true;
        window.SoulSeer.fetch(room.config.presenceUrl, {
          method: "POST",
          keepalive: true,
          json: Object.assign(room.subject(), { state: "DISCONNECTED", previous_state: room.connectionState, reason: "PAGE_HIDE" }),
        }).catch(() => {});
        room.client.removeAllListeners();
        room.cleanUp();
      }
    });
  });

  window.SoulSeerRtcRoom = Room;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
