// Progressive enhancement only: every page works without this file.
// Moves keyboard and screen-reader focus to an error summary or alert that asks for attention,
// so people hear what went wrong first (the summary's links lead to each field).
document.addEventListener("DOMContentLoaded", function () {
  var target = document.querySelector("[data-autofocus]");
  if (target) {
    target.focus();
  }
});
