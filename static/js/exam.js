// The exam page: a countdown to the server's deadline and autosave of the answers.
//
// Markup (templates/learning/exam_attempt.html):
//   [data-exam-clock data-seconds-left="N" data-msg-minute="…"] with [data-exam-clock-text]
//   form[data-exam-form data-autosave-url="…" data-msg-saving data-msg-failed]
//   [data-exam-save-status], [data-exam-announce]
// The server decides: N is the seconds left when the page was made, the deadline is stored,
// and answers arriving after it are not counted. When the countdown reaches 0 the form is
// submitted (without the confirmation) so what is on the page is graded.
(function () {
  "use strict";
  var form = document.querySelector("[data-exam-form]");
  var clock = document.querySelector("[data-exam-clock]");
  if (!form) { return; }
  var status = document.querySelector("[data-exam-save-status]");
  var announce = document.querySelector("[data-exam-announce]");
  var submitting = false;

  function show(text) { if (status) { status.textContent = text || ""; } }

  // ------------------------------------------------------------ autosave
  var saveTimer = null;
  var inFlight = false;
  var again = false;
  function save() {
    if (submitting) { return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
    show(form.getAttribute("data-msg-saving"));
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (r) {
      show(r.body && r.body.message ? r.body.message : "");
    }).catch(function () {
      show(form.getAttribute("data-msg-failed"));
    }).then(function () {
      inFlight = false;
      if (again) { again = false; save(); }
    });
  }
  form.addEventListener("change", function () {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(save, 400);
  });
  form.addEventListener("submit", function () { submitting = true; });

  // ------------------------------------------------------------ countdown
  if (!clock) { return; }
  var text = clock.querySelector("[data-exam-clock-text]");
  var left = parseFloat(clock.getAttribute("data-seconds-left")) || 0;
  var ends = Date.now() + left * 1000;  // the page's own clock only measures the interval
  var warned = false;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var s = Math.max(0, Math.round((ends - Date.now()) / 1000));
    if (text) { text.textContent = Math.floor(s / 60) + ":" + pad(s % 60); }
    if (s <= 60 && !warned) {
      warned = true;
      clock.classList.add("exam-clock-warning");
      if (announce) { announce.textContent = clock.getAttribute("data-msg-minute"); }
    }
    if (s <= 0) {
      window.clearInterval(timer);
      if (!submitting) {
        submitting = true;
        HTMLFormElement.prototype.submit.call(form);  // no confirm dialog at the deadline
      }
    }
  }
  var timer = window.setInterval(tick, 1000);
  tick();
})();
