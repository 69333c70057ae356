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
  // What was typed into a form survives a session that ended while it was open: the values are kept in this
  // tab (sessionStorage, never a password, a file or the CSRF token) when the form is sent, and filled in again
  // when the same form comes back without a success message (after signing in again). A success clears them.
  var DRAFT = "ledger-draft:";
  function draftKey(form) { return DRAFT + form.getAttribute("action"); }
  function keep(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "password" || el.type === "file" || el.type === "hidden" ||
          el.type === "submit" || el.type === "button") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      values[el.name] = el.value;
    });
    try { window.sessionStorage.setItem(draftKey(form), JSON.stringify(values)); } catch (e) { /* storage off */ }
  }
  function restore() {
    var storage;
    try { storage = window.sessionStorage; } catch (e) { return; }
    if (!storage) { return; }
    if (document.querySelector(".flash-success")) {  // the last form went through: forget every draft
      Object.keys(storage).forEach(function (k) { if (k.indexOf(DRAFT) === 0) { storage.removeItem(k); } });
      return;
    }
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      var saved = storage.getItem(draftKey(form));
      if (!saved) { return; }
      var values = JSON.parse(saved), restored = false;
      Object.keys(values).forEach(function (name) {
        var el = form.elements.namedItem(name);
        // one named control (a RadioNodeList has no tagName), never a password or a file
        if (el && el.tagName && el.type !== "password" && el.type !== "file" && el.type !== "hidden" &&
            el.value !== values[name]) {
          el.value = values[name];
          restored = true;
        }
      });
      if (restored) {
        var note = document.createElement("p");
        note.className = "hint draft-restored";
        note.setAttribute("role", "status");
        note.textContent = "What you typed before is filled in again; check it and send the form.";
        form.insertBefore(note, form.firstChild);
      }
    });
  }
  restore();
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("method") === "post" && !form.querySelector("input[type=password]")) { keep(form); }
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
