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

// Find & match: the allocated total, what is left on the transfer and the invoices' remainder, live as picks
// and amounts change (the page's "Check totals" button computes the same without this script).
(function () {
  "use strict";
  var form = document.querySelector("form[data-find-match]");
  if (!form) { return; }
  var currency = form.getAttribute("data-currency");
  var places = (String(form.getAttribute("data-unallocated")).split(".")[1] || "").length;
  function cents(text) {  // exact: amounts in minor units as integers, never floats of money
    var clean = String(text || "").replace(/[,\s]/g, "");
    if (!/^\d+(\.\d+)?$/.test(clean)) { return null; }
    var parts = clean.split(".");
    var frac = (parts[1] || "").padEnd(places, "0");
    if (frac.length > places) { return null; }
    return parseInt(parts[0] + frac, 10);
  }
  function show(value) {
    var negative = value < 0, v = Math.abs(value), s = String(v).padStart(places + 1, "0");
    var whole = places ? s.slice(0, -places) : s, frac = places ? "." + s.slice(-places) : "";
    return (negative ? "\u2212" : "") + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + frac + "\u00a0" + currency;
  }
  var unallocated = cents(form.getAttribute("data-unallocated"));
  function update() {
    var allocated = 0, short = 0, bad = false;
    form.querySelectorAll("tr[data-pick]").forEach(function (row) {
      var box = row.querySelector("input[name=pick]");
      if (!box.checked) { return; }
      var amount = cents(row.querySelector("input[data-amount]").value);
      var open = cents(box.getAttribute("data-open"));
      if (amount === null) { bad = true; return; }
      allocated += amount;
      if (open !== null && amount < open) { short += open - amount; }
    });
    form.querySelector("[data-allocated]").textContent = bad ? "check the amounts" : show(allocated);
    form.querySelector("[data-difference]").textContent = show(unallocated - allocated);
    var note = form.querySelector("[data-shortfall]");
    note.textContent = short > 0 ? "· The invoices would keep " + show(short) + " open" : "";
    var label = form.querySelector("[data-write-off-label]");
    if (label) {
      label.textContent = short > 0 ? "Write off the remaining " + show(short)
        : (unallocated - allocated > 0 && allocated > 0 ? "Write off the " + show(unallocated - allocated) + " left on the transfer"
        : "Write off the difference");
    }
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();

// Keep what was typed in a form across an expired session: saved in this tab while typing, put back when the
// same form is shown again (after signing in), and forgotten once a save succeeds.
(function () {
  "use strict";
  if (!window.sessionStorage) { return; }
  var saved = document.querySelector(".flash-success");
  document.querySelectorAll("form[data-keep]").forEach(function (form) {
    var key = "ledger-form:" + form.getAttribute("data-keep");
    var hasError = document.querySelector(".flash-error, p.error");
    var stored = sessionStorage.getItem(key);
    if (stored && !hasError && !saved) {
      try {
        var values = JSON.parse(stored);
        form.querySelectorAll("input, select, textarea").forEach(function (el) {
          if (!(el.name in values) || el.type === "hidden" || el.type === "submit") { return; }
          if (el.type === "checkbox") { el.checked = values[el.name].indexOf(el.value) >= 0; }
          else { el.value = values[el.name][0]; }
        });
        form.dispatchEvent(new Event("change"));
      } catch (e) { sessionStorage.removeItem(key); }
    }
    function keep() {
      var values = {};
      form.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (!el.name || el.type === "hidden" || el.type === "submit") { return; }
        if (el.type === "checkbox" && !el.checked) { values[el.name] = values[el.name] || []; return; }
        (values[el.name] = values[el.name] || []).push(el.value);
      });
      sessionStorage.setItem(key, JSON.stringify(values));
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
  });
  if (saved) {
    Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf("ledger-form:") === 0) { sessionStorage.removeItem(k); } });
  }
})();

// The reconciliation queue by keyboard: j/k move between matches, x selects, a accepts, r rejects, A/R confirm or
// reject the selected ones, / searches, ? lists the keys. Nothing happens while typing in a field.
(function () {
  "use strict";
  var list = document.querySelector("[data-keys]");
  if (!list) { return; }
  var help = document.getElementById("keys-help");
  var cards = Array.prototype.slice.call(list.querySelectorAll("article.match"));
  var current = -1;
  function focus(index) {
    if (!cards.length) { return; }
    current = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach(function (c, i) { c.classList.toggle("is-current", i === current); });
    cards[current].setAttribute("tabindex", "-1");
    cards[current].focus();
    cards[current].scrollIntoView({block: "nearest"});
  }
  function press(name) {
    if (current < 0) { return; }
    var button = cards[current].querySelector("button[name=" + name + "]");
    if (button) { button.click(); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    var key = event.key;
    if (key === "j") { focus(current + 1); }
    else if (key === "k") { focus(current - 1); }
    else if (key === "x" && current >= 0) {
      var box = cards[current].querySelector("input[name=match]");
      if (box) { box.checked = !box.checked; }
    }
    else if (key === "a") { press("accept"); }
    else if (key === "r") { press("reject"); }
    else if (key === "A" || key === "R") {  // the selected ones, at once
      var bulk = document.querySelector("#bulk button[value=" + (key === "A" ? "confirm" : "reject") + "]");
      if (bulk) { bulk.click(); }
    }
    else if (key === "/") {
      var field = document.querySelector("details.filter-box input, .filters input, form[role=search] input, main input[type=search], main input[type=text]");
      if (field) {
        var box2 = field.closest("details");
        if (box2) { box2.open = true; }
        field.focus();
      }
    }
    else if (key === "?") { if (help) { help.hidden = !help.hidden; } }
    else if (key === "Escape") { if (help) { help.hidden = true; } return; }
    else { return; }
    event.preventDefault();
  });
})();
