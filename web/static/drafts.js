/* Nothing typed is lost (web/pages/drafts.py):
   - a form with data-draft-key is copied to localStorage as it is typed, and brought back
     when the page is opened again without its values (after a sign-in, a refused upload, a
     closed tab); the page after a successful submit names the copy to drop (data-draft-done);
   - a banner warns before the idle timeout ends, with a button that keeps the session;
   - files over the limits are refused before upload, the form kept;
   - on intake, the head's ID number is checked for a running case or a benefit at once.
   The copies hold personal data: kept per user, dropped on submit and on sign-out, and
   forgotten after a week. */
(function () {
  "use strict";
  var body = document.body;
  var WEEK = 7 * 24 * 3600 * 1000;
  var store = (function () { try { return window.localStorage; } catch (e) { return null; } })();

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function mb(size) {
    return size >= 1048576 ? (size / 1048576).toFixed(1).replace(/\.0$/, "") + " MB"
      : Math.floor(size / 1024) + " KB";
  }
  function forget(key) { if (store) { store.removeItem(key); } }

  /* ---- local drafts ---- */
  function cleanUp() {
    if (!store) { return; }
    var prefix = body.dataset.draftPrefix || "";
    if (body.dataset.draftDone) { forget(body.dataset.draftDone); }
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf("yimen-draft:") === 0) {
        try {
          if (Date.now() - JSON.parse(store.getItem(key)).savedAt > WEEK) { forget(key); }
        } catch (e) { forget(key); }
      }
    }
    document.querySelectorAll("form[action$='/logout']").forEach(function (f) {
      f.addEventListener("submit", function () {
        for (var j = store.length - 1; j >= 0; j--) {
          var k = store.key(j);
          if (prefix && k && k.indexOf(prefix) === 0) { forget(k); }
        }
      });
    });
  }

  function fieldsOf(form) {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.name === "csrf_token" ||
          el.type === "submit" || el.type === "button") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      pairs.push([el.name, el.value]);
    });
    return pairs;
  }

  function addRowFor(form, name) {
    var best = null;
    form.querySelectorAll("[data-rows]").forEach(function (s) {
      var p = s.dataset.rows + "-";
      if (name.indexOf(p) === 0 && (!best || p.length > best.dataset.rows.length + 1)) { best = s; }
    });
    var add = best && best.querySelector(":scope > [data-add-row]");
    if (!add || add.hidden) { return false; }
    add.click();
    return true;
  }

  function restore(form, pairs) {
    for (var guard = 0; guard < 200; guard++) {
      var missing = pairs.filter(function (p) { return !form.elements[p[0]]; });
      if (!missing.length || !addRowFor(form, missing[0][0])) { break; }
    }
    var byName = {};
    pairs.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrf_token" || el.type === "hidden" ||
          el.type === "submit" || el.type === "button") { return; }
      var values = byName[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) >= 0;
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
  }

  /* 2026-12-01 13:05, as the server writes times (not the browser's own 2026/12/1 13:05:09) */
  function stamp(ms) {
    var d = new Date(ms);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function banner(form, saved) {
    var box = document.createElement("div");
    box.className = "alert info draft-restored";
    box.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = fmt(form.dataset.msgRestored || "", { time: stamp(saved.savedAt) });
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link";
    discard.textContent = form.dataset.msgDiscard || "";
    discard.addEventListener("click", function () {
      forget(form.dataset.draftKey);
      window.location.reload();
    });
    box.appendChild(text);
    box.appendChild(discard);
    form.insertBefore(box, form.firstElementChild ? form.firstElementChild.nextSibling : null);
  }

  function wireDraft(form) {
    var key = form.dataset.draftKey;
    if (!store || !key) { return; }
    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    var refused = form.querySelector(".alert.error");  // a re-rendered submission: its values win
    var newer = saved && saved.savedAt > parseInt(form.dataset.serverDraft || "0", 10);
    if (saved && newer && !refused &&
        JSON.stringify(saved.fields) !== JSON.stringify(fieldsOf(form))) {
      restore(form, saved.fields);
      banner(form, saved);
    }
    var timer = null;
    function now() {
      clearTimeout(timer);
      try {
        store.setItem(key, JSON.stringify({ savedAt: Date.now(), fields: fieldsOf(form) }));
      } catch (e) { /* storage full or off: the server draft remains */ }
    }
    function keep() {
      clearTimeout(timer);
      timer = setTimeout(now, 300);
    }
    form.addEventListener("submit", now);  // the last keystroke too, whatever the answer
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("click", function (ev) {
      if (ev.target.closest("[data-add-row], [data-remove-row]")) { keep(); }
    });
  }

  /* ---- upload limits ---- */
  function fileError(input, message) {
    var holder = input.closest(".field") || input.parentNode;
    var p = holder.querySelector(".field-error.upload-too-big");
    if (!message) { if (p) { p.remove(); } return; }
    if (!p) {
      p = document.createElement("p");
      p.className = "field-error upload-too-big";
      p.setAttribute("role", "alert");
      holder.appendChild(p);
    }
    p.textContent = message;
  }

  function wireLimits(form) {
    var maxFile = parseInt(form.dataset.maxFile || "0", 10);
    var maxTotal = parseInt(form.dataset.maxRequest || "0", 10);
    form.addEventListener("change", function (ev) {
      var input = ev.target;
      if (input.type !== "file") { return; }
      var big = Array.prototype.filter.call(input.files || [], function (f) {
        return maxFile && f.size > maxFile; });
      fileError(input, big.length ? fmt(form.dataset.msgFile || "", {
        name: big[0].name, size: mb(big[0].size) }) : "");
      if (big.length) { input.value = ""; }
    });
    form.addEventListener("submit", function (ev) {
      var total = 0, last = null;
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (f) { total += f.size; last = input; });
      });
      if (maxTotal && total > maxTotal && ev.submitter && ev.submitter.value !== "draft") {
        ev.preventDefault();
        fileError(last, fmt(form.dataset.msgTotal || "", { size: mb(total) }));
        last.focus();
      }
    });
  }

  /* ---- duplicate applications (intake) ---- */
  function wireDuplicates(form) {
    var url = form.dataset.duplicates;
    var input = form.elements.head_id_number;
    if (!url || !input || !input.closest) { return; }
    var box = document.createElement("div");
    box.className = "duplicate-check";
    box.setAttribute("aria-live", "polite");
    (input.closest(".field") || input.parentNode).appendChild(box);
    var asked = "";
    function show(messages) {
      box.textContent = "";
      messages.forEach(function (m) {
        var p = document.createElement("div");
        p.className = "alert " + (["error", "info"].indexOf(m.level) >= 0 ? m.level : "warning");
        p.setAttribute("data-duplicate", m.level);
        p.appendChild(document.createTextNode(m.text + " "));
        if (m.link) {
          var a = document.createElement("a");
          a.href = m.link;
          a.textContent = m.link_text;
          p.appendChild(a);
        }
        box.appendChild(p);
      });
    }
    function check() {
      var value = input.value.trim().toUpperCase();
      if (!/^\d{17}[\dX]$/.test(value)) { asked = ""; show([]); return; }
      if (value === asked) { return; }
      asked = value;
      var body = new URLSearchParams();
      ["csrf_token", "village", "procedure"].forEach(function (n) {
        if (form.elements[n]) { body.append(n, form.elements[n].value); }
      });
      body.append("id_number", value);  // in the body: never in a URL or an access log
      fetch(url, { method: "POST", credentials: "same-origin", body: body,
                   headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
        .then(function (data) { if (asked === value) { show(data.messages || []); } })
        .catch(function () { asked = ""; });
    }
    input.addEventListener("input", check);
    input.addEventListener("change", check);
    check();
  }

  /* ---- the idle timeout ---- */
  function wireSession() {
    var idle = parseInt(body.dataset.idleSeconds || "0", 10) * 1000;
    var box = document.querySelector(".session-warning");
    if (!idle || !box) { return; }
    var warnBefore = Math.min(5 * 60 * 1000, idle / 2);
    var soon = box.querySelector("[data-session-soon]");
    var over = box.querySelector("[data-session-over]");
    var keepBtn = box.querySelector("[data-session-keep]");
    var login = box.querySelector("[data-session-login]");
    var template = soon.textContent;
    var start = Date.now(), lastPing = Date.now(), ended = false;
    login.href = body.dataset.login + "?next=" +
      encodeURIComponent(window.location.pathname + window.location.search);
    function expired() {
      ended = true;
      box.hidden = false;
      soon.hidden = true; keepBtn.hidden = true;
      over.hidden = false; login.hidden = false;
    }
    function ping() {
      lastPing = Date.now();
      return fetch(body.dataset.keepalive, { credentials: "same-origin", redirect: "manual" })
        .then(function (r) {
          if (r.status === 204) { start = Date.now(); box.hidden = true; } else { expired(); }
        })
        .catch(function () { /* offline: try again on the next tick */ });
    }
    keepBtn.addEventListener("click", ping);
    // typing in a form is work: keep the session, at most once a third of the timeout
    document.addEventListener("input", function () {
      if (!ended && Date.now() - lastPing > idle / 3 && Date.now() - start < idle) { ping(); }
    });
    setInterval(function () {
      if (ended) { return; }
      var left = idle - (Date.now() - start);
      if (left <= 0) { expired(); return; }
      if (left <= warnBefore) {
        soon.textContent = fmt(template, { minutes: Math.max(1, Math.ceil(left / 60000)) });
        box.hidden = false;
      }
    }, 1000);
  }

  cleanUp();
  document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
    wireDraft(form);
    wireLimits(form);
    wireDuplicates(form);
  });
  wireSession();
})();
