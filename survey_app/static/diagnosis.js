/* Draws the radar of dimension scores from the figure the server embedded in the page. */
(function () {
  "use strict";
  var holder = document.getElementById("radar");
  var data = document.getElementById("radar-data");
  if (!holder || !data || !window.Plotly) { return; }
  var figure = JSON.parse(data.textContent);
  window.Plotly.newPlot(holder, figure.data, figure.layout, { responsive: true, displayModeBar: false })
    .then(function () { holder.dataset.rendered = "1"; });
})();
