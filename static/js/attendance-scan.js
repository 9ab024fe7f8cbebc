// Optional: read QR codes with the browser's BarcodeDetector where it exists.
(function () {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var start = document.getElementById("camera-start");
  start.hidden = false;
  start.addEventListener("click", function () {
    var box = document.getElementById("camera"), video = document.getElementById("camera-video");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      box.hidden = false; video.srcObject = stream; video.play();
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById("token").value = codes[0].rawValue;
            document.getElementById("scan-form").submit();
          } else { requestAnimationFrame(tick); }
        }).catch(function () { requestAnimationFrame(tick); });
      };
      tick();
    });
  });
})();
