// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // On a narrow window, unused filters fold away so the table comes first (they stay one tap away).
  if (window.matchMedia("(max-width: 40rem)").matches) {
    document.querySelectorAll("details.filter-box:not([data-active])").forEach(function (d) { d.open = false; });
  }
  // A statement upload shows its progress: the same form, sent by XMLHttpRequest so the bytes sent can be
  // counted; the answer (a redirect to the import's summary, or back with the reason) is then followed.
  function upload(form, event) {
    if (!window.XMLHttpRequest || !window.FormData || form.dataset.sent) { return; }
    var box = form.querySelector(".upload-progress");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    var xhr = new XMLHttpRequest();
    event.preventDefault();
    form.dataset.sent = "1";
    box.hidden = false;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round(e.loaded / e.total * 100);
        bar.value = percent;
        bar.textContent = percent + "%";
        text.textContent = "Sent " + percent + "% of the file" + (percent === 100 ? "; importing…" : "");
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 200 && xhr.responseText.charAt(0) === "/") {
        window.location.assign(xhr.responseText);  // the import's summary, or back here with the reason
      } else {  // an error page (e.g. an expired form): show it as the plain form would have
        document.open(); document.write(xhr.responseText); document.close();
      }
    });
    xhr.addEventListener("error", function () {
      text.textContent = "The upload failed. Try again; nothing was imported.";
      delete form.dataset.sent;
    });
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/html");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.send(new FormData(form));
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.classList.contains("upload-form")) { upload(form, event); return; }
    // One click, one request: a second click while the first is on its way does nothing.
    if (form.getAttribute("method") === "post") {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    }
  });
})();
