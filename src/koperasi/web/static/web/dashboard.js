/* The dashboard's bar chart of net savings per month. The figures come from the page's
   json_script block; amounts travel as strings and Number() is used only to size the bars. */
(function () {
  "use strict";
  var source = document.getElementById("savings-chart-data");
  var canvas = document.getElementById("savings-chart");
  if (!window.Chart || !canvas || !source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: canvas.dataset.label, data: data.values.map(Number) }]
    },
    options: {
      locale: "id-ID",
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } }
    }
  });
})();
