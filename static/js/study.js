/* The lesson page's progress line follows the server's heartbeat answers (player.js
 * dispatches `lesson:answer` on the player). No inline script: strict CSP. */
(function () {
  "use strict";
  document.addEventListener("lesson:answer", function (event) {
    var root = event.target.closest("[data-lesson-player]");
    var status = document.getElementById("lesson-status");
    if (!root || !status) { return; }
    var answer = event.detail || {};
    var duration = parseFloat(root.getAttribute("data-duration")) || 1;
    if (answer.completed) {
      status.textContent = status.getAttribute("data-completed-text");
    } else if (answer.done) {
      status.textContent = status.getAttribute("data-done-text");
    } else if (typeof answer.credited === "number") {
      var share = Math.min(99, Math.floor(answer.credited * 100 / duration));
      status.textContent = status.getAttribute("data-counted-text").replace("{share}", String(share));
    }
  });
})();
