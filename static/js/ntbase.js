// Behaviour shared by every page. No inline scripts or on…= handlers anywhere: the
// Content-Security-Policy allows scripts from /static only (ntbase/security_headers.py).

// Confirm before irreversible actions: any button with data-confirm.
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-confirm]");
  if (btn && !window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
});

// Print buttons (data-print) are hidden until script can run them.
document.querySelectorAll("[data-print]").forEach(function (btn) {
  btn.hidden = false;
  btn.addEventListener("click", function () { window.print(); });
});

// Read-only fields meant to be copied (data-select-all): select everything on click.
document.addEventListener("click", function (ev) {
  var input = ev.target.closest("input[data-select-all]");
  if (input) { input.select(); }
});
