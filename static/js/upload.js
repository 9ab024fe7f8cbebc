// Lesson uploads: send the form by XHR so a progress bar can show how much has gone,
// then follow the server's answer. Without JavaScript the same form posts normally.
// Kind-dependent fields: show only those of the chosen lesson kind.
(function () {
  "use strict";

  function showKind(form) {
    var checked = form.querySelector("input[data-kind]:checked");
    if (!checked) { return; }
    form.querySelectorAll("[data-for-kind]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-kind").split(" ").indexOf(checked.value) < 0;
    });
  }

  function sizeText(bytes) {
    if (bytes >= 1073741824) { return (bytes / 1073741824).toFixed(1) + " GB"; }
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function clearErrors(form) {
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".field-error").forEach(function (el) { el.classList.remove("field-error"); });
  }

  function showError(form, name, messages) {
    var input = form.querySelector("[name='" + name + "']");
    var p = document.createElement("p");
    p.className = "error js-error";
    p.setAttribute("role", "alert");
    p.textContent = messages.join(" ");
    var field = input && input.closest(".field");
    if (field) {
      field.classList.add("field-error");
      field.appendChild(p);
      input.setAttribute("aria-invalid", "true");
    } else {
      form.insertBefore(p, form.firstChild);
    }
  }

  // Go where the server said; the same page with only another #anchor must still reload
  // (a fragment change alone would not show the new lesson and the message).
  function follow(url) {
    var target = new URL(url, window.location.href);
    var here = window.location;
    if (target.pathname === here.pathname && target.search === here.search) {
      here.hash = target.hash;
      here.reload();
    } else {
      here.assign(target.href);
    }
  }

  function upload(form, ev) {
    var fileInput = form.querySelector("input[type=file]");
    var file = fileInput && !fileInput.closest("[hidden]") && fileInput.files[0];
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    clearErrors(form);
    if (file && max && file.size > max) {
      ev.preventDefault();
      showError(form, fileInput.name, [form.getAttribute("data-too-large")]);
      return;
    }
    if (!window.FormData || !window.XMLHttpRequest) { return; }
    ev.preventDefault();
    var box = form.querySelector(".upload-progress");
    var bar = box && box.querySelector("progress");
    var text = box && box.querySelector("[data-progress-text]");
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    if (box && file) { box.hidden = false; }
    if (button) { button.disabled = true; }
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable || !bar) { return; }
      var p = Math.floor(e.loaded * 100 / e.total);
      bar.value = p;
      text.textContent = p >= 100 ? text.getAttribute("data-checking")
        : text.getAttribute("data-template").replace("{p}", p).replace("{size}", sizeText(e.total));
    };
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (data && data.ok && data.redirect) { follow(data.redirect); return; }
      if (button) { button.disabled = false; }
      if (box) { box.hidden = true; }
      if (data && data.errors) {
        Object.keys(data.errors).forEach(function (name) { showError(form, name, data.errors[name]); });
      } else {
        showError(form, "", [form.getAttribute("data-failed")]);
      }
    };
    xhr.onerror = function () {
      if (button) { button.disabled = false; }
      if (box) { box.hidden = true; }
      showError(form, "", [form.getAttribute("data-failed")]);
    };
    xhr.send(new FormData(form));
  }

  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("change", function (e) { if (e.target.matches("input[data-kind]")) { showKind(form); } });
    form.addEventListener("submit", function (ev) { upload(form, ev); });
    showKind(form);
  });
}());
