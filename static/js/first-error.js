"use strict";
// A form sent back with errors opens at its first error, so that one in a row far down the page
// (a history entry without its source) is in view rather than only the note at the top.
window.addEventListener("load", function () {
  var first = document.querySelector(".inline-group .errorlist, .inline-group .errors, .form-row.errors");
  if (!first) {
    return;
  }
  var row = first.closest("tr, .form-row") || first;
  row.scrollIntoView({ block: "center" });
  var field = row.querySelector("input:not([type=hidden]), select, textarea");
  if (field) {
    field.focus({ preventScroll: true });
  }
});
