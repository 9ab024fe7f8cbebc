// Bulk verification: upload the file, then ask the server to check it chunk by chunk
// (each request is short and any server can take the next one), with a progress bar.
(function () {
  "use strict";
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var MAX = 20 * 1024 * 1024;

  function show(box, text, pct) {
    var status = box.querySelector("#bulk-status");
    var bar = box.querySelector("#bulk-bar");
    box.hidden = false;
    status.textContent = text;
    status.classList.remove("form-errors");
    status.removeAttribute("role");
    bar.hidden = false;
    if (pct !== null) { bar.value = Math.min(100, pct); }
  }

  // a refusal reads as one (red, announced), not as a full progress bar
  function fail(box, text) {
    var status = box.querySelector("#bulk-status");
    box.hidden = false;
    status.textContent = text;
    status.classList.add("form-errors");
    status.setAttribute("role", "alert");
    box.querySelector("#bulk-bar").hidden = true;
  }

  function checking(tpl, done, total) {
    return tpl.replace("{done}", done.toLocaleString()).replace("{total}", total.toLocaleString());
  }

  function run(box, stepUrl, resultUrl, tpl, failed) {
    function step() {
      fetch(stepUrl, {method: "POST", credentials: "same-origin",
                      headers: {"X-CSRFToken": token, "Accept": "application/json", "X-Requested-With": "fetch"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          show(box, checking(tpl, d.processed, d.rows), d.rows ? d.processed * 100 / d.rows : 100);
          if (d.done) { window.location.assign(resultUrl); } else { step(); }
        })
        .catch(function () { fail(box, failed); });
    }
    step();
  }

  var form = document.getElementById("bulk-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      var input = form.querySelector('input[type="file"]');
      var file = input && input.files && input.files[0];
      if (!file || !window.fetch || !window.XMLHttpRequest) { return; }  // the server explains
      var box = document.getElementById("bulk-progress");
      if (file.size > MAX) { ev.preventDefault(); fail(box, form.dataset.tooLarge); return; }
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-Requested-With", "fetch");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { show(box, form.dataset.uploading, e.loaded * 100 / e.total); }
      };
      xhr.onload = function () {
        var d = null;
        try { d = JSON.parse(xhr.responseText); } catch (e) { d = null; }
        if (xhr.status === 200 && d && d.step_url) {
          show(box, checking(form.dataset.checking, 0, d.rows), 0);
          run(box, d.step_url, d.result_url, form.dataset.checking, form.dataset.failed);
        } else if (xhr.status === 413) {
          fail(box, form.dataset.tooLarge);
        } else {
          fail(box, (d && d.message) || form.dataset.uploadFailed);
        }
      };
      xhr.onerror = function () { fail(box, form.dataset.uploadFailed); };
      xhr.send(new FormData(form));
    });
  }

  var pending = document.querySelector("#bulk-progress[data-step-url]");
  if (pending) {
    run(pending, pending.dataset.stepUrl, pending.dataset.resultUrl, pending.dataset.checking, pending.dataset.failed);
  }
})();
