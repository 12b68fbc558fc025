/* The dashboard's charts: each canvas[data-chart] reads the json_script block "chart-<name>"
   ({labels, series: [{label, values}]}). Amounts travel as strings; Number() is used only to
   draw. A missing value (null) leaves a gap. */
(function () {
  "use strict";
  if (!window.Chart) {
    return;
  }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById("chart-" + canvas.dataset.chart);
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: canvas.dataset.type || "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s) {
          return {
            label: s.label,
            data: s.values.map(function (v) { return v === null ? null : Number(v); }),
            spanGaps: false
          };
        })
      },
      options: {
        locale: "id-ID",
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: data.series.length > 1 } }
      }
    });
  });
})();
