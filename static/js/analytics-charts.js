// Analytics charts: draws each chart described in the page's #analytics-charts JSON with Chart.js (bundled
// from npm into build/vendor). The numbers come from the server as strings; every chart has a table of the
// same numbers right below it, which is what screen readers and people without JavaScript read.
(function () {
  var specNode = document.getElementById("analytics-charts");
  if (!specNode || !window.Chart) return;
  var specs = JSON.parse(specNode.textContent);
  var charts = [];

  // Colours from the design tokens, resolved for the current theme (tokens may be light-dark() pairs).
  function tokenColour(name) {
    var probe = document.createElement("span");
    probe.style.color = "var(" + name + ")";
    probe.hidden = true;
    document.body.appendChild(probe);
    var colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }

  var PALETTE = ["--color-pink", "--color-gold", "--color-info", "--color-success", "--color-pink-light",
    "--color-gold-light", "--color-danger", "--color-ink-muted"];
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

  function draw(spec) {
    var canvas = document.getElementById(spec.canvas);
    if (!canvas) return;
    var ink = tokenColour("--color-ink-muted");
    var grid = tokenColour("--color-line-subtle");
    var hasSecondAxis = spec.datasets.some(function (set) { return set.axis === "y1"; });
    var datasets = spec.datasets.map(function (set, index) {
      var colour = tokenColour(set.colour || PALETTE[index % PALETTE.length]);
      return {
        label: set.label,
        type: set.type,
        data: set.data.map(function (value) { return value === null ? null : Number(value); }),
        yAxisID: set.axis,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: set.type === "line" ? 2 : 0,
        spanGaps: true,
        order: set.type === "line" ? 0 : 1,
        isMoney: set.money,
      };
    });
    var scales = {
      x: { stacked: spec.stacked, ticks: { color: ink }, grid: { color: grid } },
      y: {
        stacked: spec.stacked, beginAtZero: true, ticks: { color: ink }, grid: { color: grid },
        title: { display: !!spec.axisTitles.y, text: spec.axisTitles.y || "", color: ink },
      },
    };
    if (hasSecondAxis) {
      scales.y1 = {
        position: "right", beginAtZero: true, ticks: { color: ink, precision: 0 }, grid: { drawOnChartArea: false },
        title: { display: !!spec.axisTitles.y1, text: spec.axisTitles.y1 || "", color: ink },
      };
    }
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    charts.push(new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : undefined,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { labels: { color: ink } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = item.raw === null ? "none" : item.dataset.isMoney ? money.format(item.raw) : item.raw;
                return item.dataset.label + ": " + value;
              },
            },
          },
        },
      },
    }));
  }

  specs.forEach(draw);

  // Redraw in the new colours when the theme changes.
  new MutationObserver(function () {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    specs.forEach(draw);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
})();
