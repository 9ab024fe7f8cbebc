/*
 * NTBase lesson player: Plyr (static/vendor/plyr/, or the browser's own <video> controls when
 * Plyr is not loaded) wired to the server's heartbeat rules (ntbase/learning/tracking.py).
 * The server decides what counts; this file only reports and obeys. No inline script or
 * style is needed (strict CSP): messages are shown by toggling the `hidden` attribute.
 *
 * ---- Markup ------------------------------------------------------------------------------
 *   <meta name="csrf-token" content="…">                  (base.html has it for logged-in users)
 *   <link rel="stylesheet" href="/static/vendor/plyr/plyr.css">
 *   <script src="/static/vendor/plyr/plyr.min.js" defer></script>   (optional)
 *   <script src="/static/js/player.js" defer></script>
 *
 *   <div data-lesson-player
 *        data-heartbeat-url="/learn/lessons/12/heartbeat"  POST target (required)
 *        data-kind="video"                                 "video" (default) or "document"
 *        data-start-position="123.4"                       seconds: where to resume (the furthest point)
 *        data-interval="10"                                seconds between beats (Rules.heartbeat_seconds)
 *        data-max-rate="1"                                 fastest speed offered (Rules.rate_cap)
 *        data-source-url="/learn/lessons/12/source"        optional: GET → {"url": "…"}, a fresh
 *                                                          signed media URL when the old one expired
 *        data-icon-url="/static/vendor/plyr/plyr.svg"      optional (this is the default)
 *        data-blank-video="/static/vendor/plyr/blank.mp4"  optional (this is the default)
 *        data-plyr-i18n='{"play": "播放", …}'              optional: Plyr's control labels (JSON)
 *        data-msg-seek_refused="…" data-msg-paused_elsewhere="…" data-msg-still_here="…"
 *        data-msg-not_started="…" data-msg-hidden="…" data-msg-error="…"
 *                                                          fallback texts when an answer has none
 *   >
 *     <video data-player-media playsinline preload="metadata" controls>
 *       <source src="(signed URL)" type="video/mp4"></video>
 *     (a document lesson: <iframe data-player-media src="(signed URL)" title="…"></iframe>)
 *     <p data-player-message role="status" hidden></p>
 *     <button type="button" data-player-confirm hidden>我还在</button>
 *   </div>
 *
 * ---- Heartbeat protocol (JSON over POST, header X-CSRFToken) --------------------------------
 * Request:
 *   {"event": "start"|"beat"|"pause"|"ended"|"here",
 *    "session": "<crypto.randomUUID() of this page>", "seq": 17,   (seq grows with every request)
 *    "epoch": 3,               (from the last `start` answer; absent on start)
 *    "position": 123.4,        (seconds; documents send 0)
 *    "playing": true, "visible": true,   (Page Visibility API)
 *    "check": "9f…"}           (on `here`: the id of the still-here question)
 * Answer:
 *   {"message": "ok"|"seek_refused"|"paused_elsewhere"|"still_here"|"stale"|"not_started"|"hidden",
 *    "epoch": 3, "credited": 120.0, "furthest": 120.0, "done": false,
 *    "resume_at": 100.0|null, "check": "9f…"|null, "text": "(translated message)"}
 * The player: sends `start` when playback starts (a document: when its page is in front),
 * `beat` every data-interval seconds while playing and at once when the page is hidden or
 * shown, `pause` on pause and when the page is left, `ended` at the end. On resume_at it jumps
 * there; on seek_refused it shows the text; on paused_elsewhere it pauses and shows the text;
 * on still_here it pauses and shows the confirm button, which posts `here`. Each answer is also
 * dispatched on the root element as a `lesson:answer` event (detail = answer), and
 * `lesson:done` once the lesson is done, so the page can update its progress display.
 */
(function () {
  "use strict";

  var DEFAULT_ICON_URL = "/static/vendor/plyr/plyr.svg";
  var DEFAULT_BLANK_VIDEO = "/static/vendor/plyr/blank.mp4";
  var SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

  function newSessionId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID exists only on https (and localhost); getRandomValues everywhere
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function number(value, fallback) {
    var n = parseFloat(value);
    return isFinite(n) ? n : fallback;
  }

  function LessonPlayer(root) {
    this.root = root;
    this.url = root.getAttribute("data-heartbeat-url");
    this.kind = root.getAttribute("data-kind") === "document" ? "document" : "video";
    this.interval = Math.max(1, number(root.getAttribute("data-interval"), 10)) * 1000;
    this.maxRate = Math.max(0.25, number(root.getAttribute("data-max-rate"), 1));
    this.furthest = Math.max(0, number(root.getAttribute("data-start-position"), 0));
    this.sourceUrl = root.getAttribute("data-source-url");
    this.media = root.querySelector("[data-player-media]");
    this.messageEl = root.querySelector("[data-player-message]");
    this.confirmEl = root.querySelector("[data-player-confirm]");
    this.session = newSessionId();
    this.seq = 0;
    this.epoch = null;
    this.check = null;
    this.timer = null;
    this.sending = false;
    this.queued = null;
    this.quietPause = false;   // a pause the server asked for: do not report it back
    this.sourceRetries = 0;
    this.doneSent = false;
    if (!this.url) { return; }
    if (this.kind === "video" && this.media && this.media.tagName === "VIDEO") {
      this.setUpVideo();
    } else {
      this.setUpDocument();
    }
    this.setUpConfirm();
    var self = this;
    window.addEventListener("pagehide", function () { self.send("pause", { keepalive: true }); });
  }

  // ---- sending ------------------------------------------------------------------------------
  LessonPlayer.prototype.position = function () {
    if (this.kind !== "video" || !this.media) { return 0; }
    var t = this.media.currentTime;
    return isFinite(t) && t > 0 ? Math.round(t * 1000) / 1000 : 0;
  };

  LessonPlayer.prototype.isPlaying = function () {
    if (this.kind === "document") { return document.visibilityState === "visible"; }
    return !!this.media && !this.media.paused && !this.media.ended;
  };

  LessonPlayer.prototype.send = function (event, options) {
    options = options || {};
    var body = {
      event: event,
      session: this.session,
      seq: ++this.seq,
      position: this.position(),
      playing: event === "pause" || event === "ended" ? false : this.isPlaying() || event === "start",
      visible: document.visibilityState === "visible"
    };
    if (event !== "start" && this.epoch !== null) { body.epoch = this.epoch; }
    if (event === "here") { body.check = this.check; }
    if (options.keepalive) {
      // the page is going away: no answer will be read
      this.post(body, true);
      return;
    }
    if (this.sending) {
      // one request at a time keeps seq in arrival order; a newer beat replaces a queued one
      if (!this.queued || event !== "beat") { this.queued = body; }
      return;
    }
    this.dispatch(body);
  };

  LessonPlayer.prototype.post = function (body, keepalive) {
    return window.fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    });
  };

  LessonPlayer.prototype.dispatch = function (body) {
    var self = this;
    this.sending = true;
    this.post(body, false).then(function (resp) {
      if (!resp.ok) {
        if (resp.status === 400 || resp.status === 401 || resp.status === 403) { self.show("error", ""); }
        return null;
      }
      return resp.json();
    }).then(function (answer) {
      if (answer) { self.obey(body, answer); }
    }).catch(function () {
      // offline for a moment: the next beat tells the server again (a long gap credits nothing)
    }).then(function () {
      self.sending = false;
      var next = self.queued;
      self.queued = null;
      if (next) {
        next.seq = ++self.seq;   // keep seq increasing in the order requests really leave
        if (next.event !== "start" && self.epoch !== null) { next.epoch = self.epoch; }
        self.dispatch(next);
      }
    });
  };

  // ---- answers ------------------------------------------------------------------------------
  LessonPlayer.prototype.obey = function (sent, answer) {
    var message = answer.message;
    if (message === "stale") { return; }
    if (sent.event === "start" && typeof answer.epoch === "number") { this.epoch = answer.epoch; }
    if (typeof answer.furthest === "number") { this.furthest = Math.max(this.furthest, answer.furthest); }
    if (typeof answer.resume_at === "number" && this.kind === "video" && this.media) {
      this.furthest = answer.resume_at;
      var ranOut = this.media.ended;  // a forged jump reached the end before the answer came
      this.jumping = true;
      this.media.currentTime = answer.resume_at;
      if (ranOut && message === "seek_refused") { this.media.play(); }
    }
    if (message === "paused_elsewhere") {
      this.pauseQuietly();
      this.show(message, answer.text);
    } else if (message === "still_here") {
      this.check = answer.check || this.check;
      this.pauseQuietly();
      this.show(message, answer.text);
      if (this.confirmEl) { this.confirmEl.hidden = false; }
    } else if (message === "not_started") {
      if (this.isPlaying()) { this.send("start"); } else { this.show(message, answer.text); }
    } else if (message === "seek_refused" || message === "hidden") {
      this.show(message, answer.text);
    } else {
      if (sent.event === "here") {
        if (this.confirmEl) { this.confirmEl.hidden = true; }
        this.check = null;
        if (this.kind === "video" && this.media) { this.media.play(); } else { this.startBeats(); }
      }
      this.show(null, "");
    }
    this.root.dispatchEvent(new CustomEvent("lesson:answer", { detail: answer, bubbles: true }));
    if (answer.done && !this.doneSent) {
      this.doneSent = true;
      this.root.dispatchEvent(new CustomEvent("lesson:done", { detail: answer, bubbles: true }));
    }
  };

  LessonPlayer.prototype.show = function (code, text) {
    if (!this.messageEl) { return; }
    var value = text || (code ? this.root.getAttribute("data-msg-" + code) : "") || "";
    this.messageEl.textContent = value;
    this.messageEl.hidden = !value;
    this.messageEl.setAttribute("data-code", code || "");
  };

  LessonPlayer.prototype.pauseQuietly = function () {
    this.stopBeats();
    if (this.kind === "video" && this.media && !this.media.paused) {
      this.quietPause = true;
      this.media.pause();
    }
  };

  LessonPlayer.prototype.setUpConfirm = function () {
    var self = this;
    if (!this.confirmEl) { return; }
    this.confirmEl.addEventListener("click", function () {
      if (self.check) { self.send("here"); }
    });
  };

  // ---- beats --------------------------------------------------------------------------------
  LessonPlayer.prototype.startBeats = function () {
    var self = this;
    this.stopBeats();
    this.timer = window.setInterval(function () { self.send("beat"); }, this.interval);
  };

  LessonPlayer.prototype.stopBeats = function () {
    if (this.timer !== null) { window.clearInterval(this.timer); this.timer = null; }
  };

  // ---- video --------------------------------------------------------------------------------
  LessonPlayer.prototype.setUpVideo = function () {
    var self = this;
    var media = this.media;
    this.startAt = this.furthest;
    if (window.Plyr) {
      var i18n = {};
      try { i18n = JSON.parse(this.root.getAttribute("data-plyr-i18n") || "{}"); } catch (e) { i18n = {}; }
      this.plyr = new window.Plyr(media, {
        iconUrl: this.root.getAttribute("data-icon-url") || DEFAULT_ICON_URL,
        blankVideo: this.root.getAttribute("data-blank-video") || DEFAULT_BLANK_VIDEO,
        loadSprite: true,
        ads: { enabled: false },
        previewThumbnails: { enabled: false },
        storage: { enabled: false },
        keyboard: { focused: true, global: false },
        invertTime: false,
        speed: { selected: 1, options: SPEEDS.filter(function (s) { return s <= self.maxRate; }) },
        i18n: i18n
      });
    }
    media.addEventListener("loadedmetadata", function () {
      if (self.startAt > 0 && isFinite(media.duration)) {
        media.currentTime = Math.min(self.startAt, Math.max(0, media.duration - 0.5));
        self.startAt = 0;
      }
    });
    media.addEventListener("play", function () {
      self.show(null, "");
      self.send("start");
      self.startBeats();
    });
    media.addEventListener("pause", function () {
      self.stopBeats();
      if (self.quietPause) { self.quietPause = false; return; }
      if (!media.ended) { self.send("pause"); }
    });
    media.addEventListener("ended", function () {
      self.stopBeats();
      self.send("ended");
    });
    media.addEventListener("ratechange", function () {
      if (media.playbackRate > self.maxRate) { media.playbackRate = self.maxRate; }
    });
    media.addEventListener("seeking", function () {
      // the server refuses it anyway; jumping back at once spares the learner a surprise
      if (self.jumping) { self.jumping = false; return; }
      if (media.currentTime > self.furthest + 2) {
        self.jumping = true;
        media.currentTime = self.furthest;
        self.show("seek_refused", "");
      }
    });
    media.addEventListener("timeupdate", function () {
      // what this page has seen play continuously (timeupdate fires every ~0.25 s), so seeking
      // back and forth within it is not refused locally
      if (!media.paused && !media.seeking && media.currentTime <= self.furthest + 1.5) {
        self.furthest = Math.max(self.furthest, media.currentTime);
      }
    });
    media.addEventListener("error", function () { self.refreshSource(); }, true);
    document.addEventListener("visibilitychange", function () {
      if (!media.paused) { self.send("beat"); }
    });
  };

  LessonPlayer.prototype.refreshSource = function () {
    // the signed URL expired (403) or the network dropped: ask for a fresh URL, keep the place
    var self = this;
    var media = this.media;
    if (!this.sourceUrl || this.sourceRetries >= 3) { this.show("error", ""); return; }
    this.sourceRetries += 1;
    var at = media.currentTime || this.furthest;
    var resume = this.timer !== null;   // it was playing when the source failed
    this.stopBeats();
    window.fetch(this.sourceUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data || !data.url) { self.show("error", ""); return; }
        self.startAt = at;
        var source = media.querySelector("source");
        if (source) { source.setAttribute("src", data.url); } else { media.setAttribute("src", data.url); }
        media.load();
        media.addEventListener("canplay", function once() {
          media.removeEventListener("canplay", once);
          self.sourceRetries = 0;
          if (resume) { media.play(); }
        });
      })
      .catch(function () { self.show("error", ""); });
  };

  // ---- documents ----------------------------------------------------------------------------
  LessonPlayer.prototype.setUpDocument = function () {
    var self = this;
    // a document counts while its page is in front: in front = start, hidden = pause
    function follow() {
      if (document.visibilityState === "visible") {
        self.send("start");
        self.startBeats();
      } else {
        self.stopBeats();
        self.send("pause");
      }
    }
    document.addEventListener("visibilitychange", follow);
    if (document.visibilityState === "visible") { follow(); }
  };

  function initAll() {
    var roots = document.querySelectorAll("[data-lesson-player]");
    Array.prototype.forEach.call(roots, function (root) {
      if (!root.lessonPlayer) { root.lessonPlayer = new LessonPlayer(root); }
    });
  }

  window.NTBaseLessonPlayer = { init: initAll, LessonPlayer: LessonPlayer };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
