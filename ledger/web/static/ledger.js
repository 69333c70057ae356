// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // On a narrow window, unused filters fold away so the table comes first (they stay one tap away).
  if (window.matchMedia("(max-width: 40rem)").matches) {
    document.querySelectorAll("details.filter-box:not([data-active])").forEach(function (d) { d.open = false; });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one request: a second click while the first is on its way does nothing.
    if (form.getAttribute("method") === "post") {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    }
  });
})();
