// Confirm before irreversible actions: any button with data-confirm.
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-confirm]");
  if (btn && !window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
});
