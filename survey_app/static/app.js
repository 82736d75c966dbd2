/* Shuzhen pages: small progressive enhancements. Every page works without this file; it only
   saves answers as they change, shows or hides questions per the server's skip logic, keeps
   double clicks from sending a form twice, and filters chain links by industry. */
(function () {
  "use strict";

  // ---- score bars: the width travels in data-width (the CSP refuses inline style attributes)
  document.querySelectorAll(".bar > span[data-width]").forEach(function (span) {
    var pct = Math.max(0, Math.min(100, parseFloat(span.dataset.width) || 0));
    span.style.width = pct + "%";
  });

  // ---- forms that must be sent once (submit, verify, version switch)
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });

  // ---- registration / profile: chain links of the chosen industry, size class as typed
  var links = document.getElementById("chain-links");
  if (links) {
    var select = document.getElementById(links.dataset.industrySelect);
    var map = JSON.parse(links.dataset.industryMap || "{}");
    var showLinks = function () {
      var industry = map[select.value];
      links.querySelectorAll(".link-group").forEach(function (group) {
        var match = group.dataset.industry === industry;
        group.hidden = !match;
        if (!match) { group.querySelectorAll("input").forEach(function (i) { i.checked = false; }); }
      });
    };
    select.addEventListener("change", showLinks);
    showLinks();
  }
  var size = document.getElementById("size-class");
  if (size) {
    var employees = document.getElementById("employees");
    var revenue = document.getElementById("revenue_10k");
    var label = size.querySelector("[data-size-label]");
    var fallback = label.textContent;
    var showSize = function () {
      if (!employees.value || !revenue.value) { label.textContent = fallback; return; }
      var url = size.dataset.url + "?employees=" + encodeURIComponent(employees.value) +
        "&revenue=" + encodeURIComponent(revenue.value);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        label.textContent = data.label || fallback;
      }).catch(function () { /* offline: the profile page shows it after saving */ });
    };
    var pending = null;
    var soon = function () { clearTimeout(pending); pending = setTimeout(showSize, 250); };  // as typed
    [employees, revenue].forEach(function (el) {
      el.addEventListener("input", soon);
      el.addEventListener("change", showSize);
    });
    showSize();
  }

  // ---- questionnaire pages
  var form = document.getElementById("survey-form");
  if (!form) { return; }
  var status = form.querySelector("[data-save-status]");
  var revision = form.querySelector("input[name=revision]");
  var msgs = form.dataset;
  var timer = null;
  var inFlight = null;
  var stopped = false;
  var dirty = false;

  var say = function (text, kind) {
    status.textContent = text;
    status.className = "save-status" + (kind ? " " + kind : "");
  };

  var applyVisibility = function (visible) {
    var shown = {};
    visible.forEach(function (id) { shown[id] = true; });
    form.querySelectorAll(".question[data-qid]").forEach(function (q) { q.hidden = !shown[q.dataset.qid]; });
    form.querySelectorAll("[data-block]").forEach(function (block) {
      block.hidden = !block.querySelector(".question:not([hidden])");
    });
  };

  var applyErrors = function (errors) {
    form.querySelectorAll(".question[data-qid]").forEach(function (q) {
      var p = q.querySelector(".field-error");
      var message = errors[q.dataset.qid];
      q.classList.toggle("has-error", !!message);
      if (p) { p.textContent = message || ""; p.hidden = !message; }
    });
  };

  var clock = function (iso) {  // the server's UTC instant on the reader's own clock, HH:mm
    var at = new Date(iso);
    if (isNaN(at.getTime())) { return ""; }
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(at.getHours()) + ":" + two(at.getMinutes());
  };

  var save = function () {
    timer = null;
    if (stopped) { return Promise.resolve(); }
    if (inFlight) { return inFlight.then(save); }
    dirty = false;
    say(msgs.msgSaving);
    inFlight = fetch(msgs.autosave, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {  // redirected to the log-in page
        stopped = true;
        say(msgs.msgSession, "error");
        return;
      }
      return response.json().then(function (data) {
        if (data.ok) {
          revision.value = data.revision;
          Object.keys(data.computed || {}).forEach(function (id) {
            var box = form.querySelector(".question[data-qid='" + id + "'] [data-computed-value]");
            if (box) { box.textContent = data.computed[id]; }
          });
          applyVisibility(data.visible);
          applyErrors(data.errors);
          var bar = document.getElementById("progress");
          if (bar) { bar.value = data.progress; }
          document.querySelectorAll("[data-progress]").forEach(function (el) { el.textContent = data.progress; });
          var bad = Object.keys(data.errors).length;
          say(bad ? msgs.msgPartial : msgs.msgSaved.replace("{time}", clock(data.saved_at)), bad ? "warn" : "ok");
        } else {
          stopped = data.error === "conflict" || data.error === "csrf" || data.error === "submitted";
          say(data.message || msgs.msgFailed, "error");
          if (data.error === "busy") { setTimeout(function () { schedule(0); }, 3000); }  // retry, nothing lost
        }
      });
    }).catch(function () {
      dirty = true;
      say(msgs.msgOffline, "warn");
    }).then(function () { inFlight = null; });
    return inFlight;
  };

  var schedule = function (delay) {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay || 500);
  };

  form.addEventListener("input", function (event) {  // typing: save after a pause, not at every key
    var t = event.target.type;
    if (t === "text" || t === "textarea" || t === "number" || t === "search") { schedule(1200); }
  });

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "checkbox" && input.checked) {  // "none of these" excludes the other options
      var group = form.querySelectorAll("input[name='" + input.name + "']");
      group.forEach(function (other) {
        if (other !== input && (input.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
          other.checked = false;
        }
      });
    }
    schedule();
  });

  form.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-clear]");
    if (!clear) { return; }
    form.querySelectorAll("input[name='" + clear.dataset.clear + "']").forEach(function (i) { i.checked = false; });
    schedule();
  });

  // A page change posts the whole page anyway; wait for a background save still under way so the
  // page carries the newest revision (otherwise it would conflict with our own save).
  form.addEventListener("submit", function (event) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (form.dataset.sending) { return; }
    if (inFlight) {
      event.preventDefault();
      var submitter = event.submitter;
      inFlight.then(function () {
        form.dataset.sending = "1";
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      });
      return;
    }
    form.dataset.sending = "1";
  });

  window.addEventListener("beforeunload", function (event) {
    if ((dirty || inFlight) && !form.dataset.sending && !stopped) { event.preventDefault(); event.returnValue = ""; }
  });
})();
