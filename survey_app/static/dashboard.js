/* The console's behaviour: draw the server-built Plotly figures, open a map cell on click, switch the
   heat map between practice level and need share, filter tables as you type, poll the run-now state.
   No inline script anywhere: figures arrive as <script type="application/json" data-figure-for=id>. */
(function () {
  "use strict";
  var config = { responsive: true, displayModeBar: false };

  function draw(holder, figure) {
    if (!window.Plotly) { return null; }
    return window.Plotly.newPlot(holder, figure.data, figure.layout, config).then(function () {
      holder.dataset.rendered = "1";
      return holder;
    });
  }

  function openCell(container, link, activity) {
    var target = document.getElementById("cell-detail");
    var url = container.dataset.cellUrl + "&link=" + encodeURIComponent(link) + "&activity=" + encodeURIComponent(activity);
    target.setAttribute("aria-busy", "true");
    fetch(url, { headers: { "X-Fragment": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        target.innerHTML = html; /* our own server-rendered, escaped fragment */
        target.removeAttribute("aria-busy");
        target.scrollIntoView({ behavior: "smooth", block: "start" });
      })
      .catch(function () { target.removeAttribute("aria-busy"); window.location.href = url; });
  }

  document.querySelectorAll("script[data-figure-for]").forEach(function (data) {
    var holder = document.getElementById(data.dataset.figureFor);
    if (!holder) { return; }
    var figure = JSON.parse(data.textContent);
    var drawn = draw(holder, figure);
    var map = holder.closest("[data-map]");
    if (drawn && map) {
      drawn.then(function () {
        holder.on("plotly_click", function (event) {
          var point = event.points && event.points[0];
          if (point && point.customdata) { openCell(map, point.customdata[0], point.customdata[1]); }
        });
      });
    }
  });

  document.querySelectorAll("[data-heat-mode]").forEach(function (button) {
    button.addEventListener("click", function () {
      var holder = document.getElementById("fig-map");
      if (!holder || !window.Plotly) { return; }
      var mode = Number(button.dataset.heatMode);
      window.Plotly.restyle(holder, { visible: [mode === 0, mode === 1] }, [0, 1]);
      document.querySelectorAll("[data-heat-mode]").forEach(function (b) {
        var on = b === button;
        b.classList.toggle("current", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
    });
  });

  document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
    var table = document.getElementById(input.dataset.filterTable);
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });

  var card = document.querySelector("[data-run-state-url]");
  if (card) {
    var label = card.querySelector("[data-run-state]");
    var button = card.querySelector("[data-run-button]");
    var poll = function () {
      fetch(card.dataset.runStateUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          var before = label.dataset.state;
          label.textContent = s.label + (s.message ? " · " + s.message : "");
          label.dataset.state = s.state || "";
          var busy = s.state === "queued" || s.state === "running";
          if (button) { button.disabled = busy; }
          if (busy) { window.setTimeout(poll, 3000); }
          else if ((before === "queued" || before === "running") && s.state === "done") {
            label.textContent = card.dataset.msgDone;
          }
        })
        .catch(function () { window.setTimeout(poll, 10000); });
    };
    if (label && (label.dataset.state === "queued" || label.dataset.state === "running")) { poll(); }
    if (button) {
      button.form.addEventListener("submit", function () { label.dataset.state = "queued"; });
    }
  }
})();
