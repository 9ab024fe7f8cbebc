// Venue check-in display: the QR code changes every minute, so reload when it does.
// (Without JavaScript a <noscript> meta refresh does the same.)
(function () {
  "use strict";
  var qr = document.getElementById("venue-qr");
  var seconds = qr ? parseInt(qr.getAttribute("data-refresh"), 10) : NaN;
  if (!(seconds > 0)) { return; }
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
