/* The visit page without signal: every confirmation, correction and photo is kept in IndexedDB with an
   idempotency key and the revision it was made against, and sent when the connection returns (and on
   reload). The server applies each key once and answers a change to an answer someone else changed
   meanwhile as a conflict, resolved here answer by answer (theirs / mine). Skip logic runs here too
   (skip.js). Without JavaScript the page's plain forms work as before. */
(function () {
  "use strict";
  var root = document.getElementById("visit");
  if (!root || !window.indexedDB) { return; }
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  function t(zhText, enText) { return zh ? zhText : enText; }
  var visitId = Number(root.dataset.visit);
  var syncUrl = root.dataset.syncUrl;
  var revision = Number(root.dataset.revision);
  var program = JSON.parse(root.dataset.program || "{}");
  var answers = JSON.parse(root.dataset.answers || "{}");
  var csrfInput = document.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";
  var stateEl = document.getElementById("sync-state");
  var dbPromise = null;
  var syncing = false;
  var again = false;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("shuzhen-field", 1);
        req.onupgradeneeded = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains("changes")) { db.createObjectStore("changes", { keyPath: "key" }); }
          if (!db.objectStoreNames.contains("files")) { db.createObjectStore("files", { keyPath: "key" }); }
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function all(store) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var req = db.transaction(store, "readonly").objectStore(store).getAll();
        req.onsuccess = function () {
          resolve((req.result || []).filter(function (r) { return r.visit === visitId; }));
        };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function write(store, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(store, "readwrite");
        fn(transaction.objectStore(store));
        transaction.oncomplete = function () { resolve(); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  function put(store, row) { return write(store, function (s) { s.put(row); }); }
  function del(store, key) { return write(store, function (s) { s.delete(key); }); }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "k" + Date.now().toString(16) + Math.random().toString(16).slice(2, 14);
  }

  function card(qid) { return document.getElementById("q-" + qid); }
  function labelFor(qid, value) {
    var c = card(qid);
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) {
      return t("未回答", "not answered");
    }
    var values = Array.isArray(value) ? value : [value];
    if (value === true) { values = ["yes"]; } else if (value === false) { values = ["no"]; }
    return values.map(function (v) {
      var input = c && c.querySelector(".correct-form input[name=value][value='" + String(v).replace(/'/g, "") + "']");
      var span = input && input.parentNode.querySelector("span");
      return span ? span.textContent : String(v);
    }).join("、");
  }
  function typed(qid, value) {
    var c = card(qid);
    var kind = c ? c.dataset.type : "";
    if (kind === "yesno") { return value === "yes" ? true : value === "no" ? false : null; }
    if ((kind === "number" || kind === "level") && value !== "" && value !== null && !isNaN(Number(value))) { return Number(value); }
    if (kind === "multi") { return Array.isArray(value) ? value : (value ? [value] : []); }
    return value === "" ? null : value;
  }
  function showValue(qid, value, verdict, pending) {
    var c = card(qid);
    if (!c) { return; }
    var shown = c.querySelector(".field-value");
    if (shown) { shown.textContent = labelFor(qid, value); }
    c.classList.remove("checked-confirmed", "checked-corrected");
    if (verdict) { c.classList.add("checked-" + verdict); }
    c.classList.toggle("pending", !!pending);
    var mark = c.querySelector(".device-state");
    if (!mark) { mark = document.createElement("p"); mark.className = "device-state"; c.querySelector("dl").after(mark); }
    mark.textContent = pending ? t("已保存在本设备，待同步", "Saved on this device, not synced yet") : t("已同步", "Synced");
  }
  function applySkip() {
    if (!window.ShuzhenSkip || !program.questions) { return; }
    var shown = new Set(window.ShuzhenSkip.visible(program, answers));
    program.questions.forEach(function (qid) { var c = card(qid); if (c) { c.hidden = !shown.has(qid); } });
  }
  function refreshState() {
    return Promise.all([all("changes"), all("files")]).then(function (lists) {
      var n = lists[0].filter(function (c) { return !c.conflict; }).length + lists[1].length;
      var conflicts = lists[0].filter(function (c) { return c.conflict; }).length;
      if (!stateEl) { return; }
      stateEl.classList.toggle("pending", n > 0 || conflicts > 0);
      stateEl.dataset.pending = String(n);
      stateEl.dataset.conflicts = String(conflicts);
      if (conflicts) {
        stateEl.textContent = t("有 " + conflicts + " 项冲突待处理", conflicts + " conflict(s) to resolve");
      } else if (n) {
        stateEl.textContent = t(n + " 项更改已保存在本设备，待同步", n + " change(s) saved on this device, not synced yet") +
          (navigator.onLine ? "" : t("（离线）", " (offline)"));
      } else {
        stateEl.textContent = t("已同步", "Synced");
      }
    });
  }

  function fileItem(row, text) {
    var c = card(row.question_id);
    if (!c) { return; }
    var list = c.querySelector(".queued-files");
    if (!list) { list = document.createElement("ul"); list.className = "plain queued-files"; c.appendChild(list); }
    var li = document.createElement("li");
    li.dataset.key = row.key;
    li.textContent = row.name + " · " + text;
    list.appendChild(li);
  }
  function queueChange(qid, verdict, value, reason) {
    var change = { key: newKey(), visit: visitId, question_id: qid, verdict: verdict, value: value,
                   reason: reason, base_revision: revision, at: Date.now() };
    /* a second change to the same answer before it was sent replaces the first (same base revision):
       the device's own changes never conflict with each other */
    return all("changes").then(function (pending) {
      var earlier = pending.filter(function (c) { return c.question_id === qid && !c.conflict; });
      if (earlier.length) { change.base_revision = earlier[0].base_revision; }
      return write("changes", function (s) {
        earlier.forEach(function (c) { s.delete(c.key); });
        s.put(change);
      });
    }).then(function () {
      if (verdict === "corrected") { answers[qid] = typed(qid, value); }
      showValue(qid, answers[qid], verdict, true);
      applySkip();
      return refreshState();
    }).then(sync);
  }
  function queueFile(qid, file) {
    var row = { key: newKey(), visit: visitId, question_id: qid, name: file.name, type: file.type, blob: file, at: Date.now() };
    return put("files", row).then(function () {
      fileItem(row, t("已保存在本设备，待上传", "saved on this device, not uploaded yet"));
      return refreshState();
    }).then(sync);
  }

  function renderConflict(change, result) {
    var box = document.getElementById("conflicts");
    if (!box) {
      box = document.createElement("section");
      box.id = "conflicts";
      box.className = "card card-warn";
      var h = document.createElement("h2");
      h.textContent = t("答案冲突：请逐题选择保留哪一个", "Conflicting answers: choose, answer by answer");
      box.appendChild(h);
      root.after(box);
    }
    var item = document.createElement("article");
    item.className = "conflict-item";
    item.dataset.question = change.question_id;
    var head = card(change.question_id) ? card(change.question_id).querySelector(".q-text").textContent : change.question_id;
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = head;
    p.appendChild(strong);
    item.appendChild(p);
    var dl = document.createElement("dl");
    dl.className = "facts";
    [[t("他人的", "Theirs"), labelFor(change.question_id, result.theirs), "theirs"],
     [t("我的", "Mine"), labelFor(change.question_id, result.mine), "mine"]].forEach(function (row) {
      var dt = document.createElement("dt"); dt.textContent = row[0];
      var dd = document.createElement("dd"); dd.className = row[2]; dd.textContent = row[1];
      dl.appendChild(dt); dl.appendChild(dd);
    });
    item.appendChild(dl);
    var actions = document.createElement("div");
    actions.className = "actions";
    var theirs = document.createElement("button");
    theirs.type = "button"; theirs.className = "button keep-theirs"; theirs.textContent = t("保留他人的", "Keep theirs");
    var mine = document.createElement("button");
    mine.type = "button"; mine.className = "button primary keep-mine"; mine.textContent = t("保留我的", "Keep mine");
    theirs.addEventListener("click", function () {
      del("changes", change.key).then(function () {
        answers[change.question_id] = result.theirs;
        showValue(change.question_id, result.theirs, result.theirs_verdict, false);
        item.remove(); applySkip(); return refreshState();
      });
    });
    mine.addEventListener("click", function () {
      del("changes", change.key).then(function () {
        item.remove();
        revision = Math.max(revision, result.revision);
        var kept = Object.assign({}, change, { key: newKey(), base_revision: result.revision, conflict: false, at: Date.now() });
        return put("changes", kept);
      }).then(refreshState).then(sync);
    });
    actions.appendChild(theirs);
    actions.appendChild(mine);
    item.appendChild(actions);
    box.appendChild(item);
  }

  function sendChanges(changes) {
    var body = JSON.stringify({ csrf_token: csrf, changes: changes.map(function (c) {
      return { key: c.key, question_id: c.question_id, verdict: c.verdict, value: c.value, reason: c.reason,
               base_revision: c.base_revision };
    }) });
    return fetch(syncUrl, { method: "POST", credentials: "same-origin", body: body,
                            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) {
        var byKey = {};
        changes.forEach(function (c) { byKey[c.key] = c; });
        var steps = data.results.map(function (res) {
          var change = byKey[res.key];
          if (!change) { return Promise.resolve(); }
          if (res.status === "applied") {
            return del("changes", change.key).then(function () { showValue(change.question_id, res.value, res.verdict, false); });
          }
          if (res.status === "conflict") {
            return put("changes", Object.assign({}, change, { conflict: true })).then(function () { renderConflict(change, res); });
          }
          if (res.status === "refused") {
            return del("changes", change.key).then(function () {
              var c = card(change.question_id);
              if (c) {
                var msg = document.createElement("p");
                msg.className = "field-error"; msg.setAttribute("role", "alert");
                msg.textContent = zh ? res.message_zh : res.message_en;
                c.appendChild(msg);
              }
            });
          }
          return Promise.resolve();  /* retry: kept for the next round */
        });
        return Promise.all(steps).then(function () {
          revision = Math.max(revision, data.revision);
          root.dataset.revision = String(revision);
          document.querySelectorAll("input[name=revision]").forEach(function (i) { i.value = String(revision); });
          Object.keys(data.answers).forEach(function (k) { answers[k] = data.answers[k]; });
          applySkip();
        });
      });
  }
  function sendFile(row) {
    var form = new FormData();
    form.append("csrf_token", csrf);
    form.append("key", row.key);
    form.append("file", row.blob, row.name);
    var url = root.dataset.evidenceUrl.replace("__QID__", encodeURIComponent(row.question_id));
    return fetch(url, { method: "POST", credentials: "same-origin", body: form,
                        headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (r) {
        if (r.status === 422) { return r.json().then(function (res) { return { refused: res }; }); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (res) {
        return del("files", row.key).then(function () {
          var li = document.querySelector(".queued-files li[data-key='" + row.key + "']");
          if (li) {
            li.textContent = row.name + " · " + (res.refused ? (zh ? res.refused.message_zh : res.refused.message_en) : t("已上传", "uploaded"));
            li.classList.add(res.refused ? "field-error" : "uploaded");
          }
        });
      });
  }
  function sync() {
    if (!navigator.onLine) { return refreshState(); }
    if (syncing) { again = true; return Promise.resolve(); }
    syncing = true;
    return all("changes").then(function (changes) {
      var ready = changes.filter(function (c) { return !c.conflict; }).sort(function (a, b) { return a.at - b.at; });
      return ready.length ? sendChanges(ready) : null;
    }).then(function () { return all("files"); }).then(function (files) {
      return files.reduce(function (p, row) { return p.then(function () { return sendFile(row); }); }, Promise.resolve());
    }).catch(function () { /* no connection after all: everything stays on the device */ })
      .then(function () {
        syncing = false;
        if (again) { again = false; return sync(); }
        return refreshState();
      });
  }

  /* forms: kept on the device first, then sent */
  document.querySelectorAll(".check-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var qid = form.closest("[data-question]").dataset.question;
      var verdict = data.get("verdict");
      var kind = card(qid).dataset.type;
      var value = kind === "multi" ? data.getAll("value") : data.get("value");
      var reason = data.get("reason") || "";
      if (verdict === "corrected" && !String(reason).trim()) { form.querySelector("[name=reason]").focus(); return; }
      queueChange(qid, verdict, verdict === "corrected" ? value : null, reason);
      var details = form.closest("details");
      if (details) { details.open = false; }
    });
  });
  document.querySelectorAll(".evidence-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.querySelector("input[type=file]");
      if (!input.files.length) { return; }
      var qid = form.closest("[data-question]").dataset.question;
      Array.prototype.forEach.call(input.files, function (file) { queueFile(qid, file); });
      input.value = "";
    });
  });
  document.querySelectorAll(".correct-form input, .correct-form textarea").forEach(function (input) {
    input.addEventListener("change", function () {
      var qid = input.closest("[data-question]").dataset.question;
      var data = new FormData(input.closest("form"));
      var kind = card(qid).dataset.type;
      answers[qid] = typed(qid, kind === "multi" ? data.getAll("value") : data.get("value"));
      applySkip();
    });
  });
  window.addEventListener("online", sync);
  window.addEventListener("offline", refreshState);

  /* on load (and on a reload without signal): what is still on the device is shown, then sent */
  Promise.all([all("changes"), all("files")]).then(function (lists) {
    lists[0].sort(function (a, b) { return a.at - b.at; }).forEach(function (c) {
      if (c.verdict === "corrected") { answers[c.question_id] = typed(c.question_id, c.value); }
      showValue(c.question_id, answers[c.question_id], c.verdict, true);
    });
    lists[1].forEach(function (row) { fileItem(row, t("已保存在本设备，待上传", "saved on this device, not uploaded yet")); });
    applySkip();
    return refreshState();
  }).then(sync).then(function () { root.dataset.ready = "1"; });

  /* the page and its files stay available without signal */
  if ("serviceWorker" in navigator && root.dataset.worker) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: root.dataset.workerScope }).catch(function () {});
  }
  if (window.caches) {
    caches.open("shuzhen-visit-v1").then(function (cache) {
      var assets = Array.prototype.map.call(document.querySelectorAll("link[rel=stylesheet], script[src]"),
                                            function (el) { return el.href || el.src; });
      return cache.addAll([location.pathname].concat(assets));
    }).catch(function () {});
  }
})();
