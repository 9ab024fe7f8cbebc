// Course form: add schedule rows without saving, and show the price as fee quantities change.
// Without JavaScript the form still works: it comes with blank rows, and the server prices it.
(function () {
  "use strict";
  var form = document.getElementById("course-form");
  if (!form) { return; }

  // ---- sessions: clone the last row as sessions-<n+1>-*, empty
  var addButton = document.getElementById("add-session");
  var rows = document.getElementById("session-rows");
  if (addButton && rows) {
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var all = rows.querySelectorAll(".session-row");
      var last = all[all.length - 1];
      var next = 0;
      all.forEach(function (row) {
        var m = /sessions-(\d+)-/.exec(row.querySelector("[name^='sessions-']").name);
        if (m) { next = Math.max(next, parseInt(m[1], 10) + 1); }
      });
      var copy = last.cloneNode(true);
      copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      copy.querySelectorAll(".field-error").forEach(function (el) { el.classList.remove("field-error"); });
      copy.querySelectorAll("[id], [for], [name], [aria-describedby]").forEach(function (el) {
        ["id", "for", "name", "aria-describedby"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) { el.setAttribute(attr, v.replace(/sessions-\d+-/g, "sessions-" + next + "-")); }
        });
        if (el.matches("input")) { el.value = ""; el.removeAttribute("aria-invalid"); }
        if (el.matches("select")) { el.selectedIndex = 0; }
      });
      last.after(copy);
      var first = copy.querySelector("input");
      if (first) { first.focus(); }
    });
  }

  // ---- price: each line's amount (quantity × unit price) and their sum, as they are typed.
  // The server renders the same figures, so the page reads right without JavaScript.
  var total = document.getElementById("price-total");
  var fees = form.querySelectorAll("input[data-amount-fen]");
  function yuan(fen) {
    return "¥" + Math.floor(fen / 100).toLocaleString("en-US") + "." + String(fen % 100).padStart(2, "0");
  }
  function quantity(input) {
    var q = /^\s*\d{1,4}\s*$/.test(input.value) ? parseInt(input.value, 10) : 0;
    return q > 0 ? q : 0;
  }
  function update() {
    var fen = 0;
    fees.forEach(function (input) {
      var amount = quantity(input) * parseInt(input.getAttribute("data-amount-fen"), 10);
      var line = form.querySelector("output[for='" + input.id + "']");
      if (line) { line.textContent = yuan(amount); }
      fen += amount;
    });
    total.textContent = fen === 0 ? total.getAttribute("data-free") : yuan(fen);
  }
  if (total && fees.length) {
    fees.forEach(function (input) { input.addEventListener("input", update); });
    update();
  }
})();
