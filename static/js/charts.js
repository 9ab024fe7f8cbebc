/* Charts from data: every element with a data-chart attribute (a JSON spec written by
   ntbase.kernel.charts) becomes an Apache ECharts chart. No inline script, no inline
   style in the templates: sizes come from CSS classes, colours and labels from the spec.
   The table of the same numbers stays beside each chart for screen readers and no-JS. */
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function fmt(value, unit) {
    var n = Math.round(value * 10) / 10;
    var text = (n % 1 === 0) ? String(n) : n.toFixed(1);
    if (!unit) { return text; }
    return /^[%\u4e00-\u9fff]/.test(unit) ? text + unit : text + " " + unit;
  }

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily || "sans-serif";
  }

  function barsOption(spec, width) {
    var s = spec.series[0];
    var labelWidth = Math.max(70, Math.min(170, Math.round(width * 0.36)));
    return {
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: spec.max === null ? null : spec.max, splitNumber: 4,
               interval: spec.max === 100 ? 25 : null,  // shares: 0, 25, 50, 75, 100 %
               axisLabel: { formatter: function (v) { return fmt(v, spec.unit); } } },
      yAxis: { type: "category", data: spec.labels, inverse: true,
               axisLabel: { width: labelWidth, overflow: "truncate", fontSize: 13 }, axisTick: { show: false } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
                 valueFormatter: function (v) { return fmt(v, spec.unit); } },
      series: [{ type: "bar", name: s.name, data: s.values, itemStyle: { color: s.color, borderRadius: 3 },
                 barMaxWidth: 22,
                 label: { show: true, position: "right", fontSize: 12,
                          formatter: function (p) { return fmt(p.value, spec.unit); } } }]
    };
  }

  function columnsOption(spec) {
    var series = spec.series.map(function (s) {
      return { type: "bar", name: s.name, data: s.values, stack: spec.stacked ? "total" : null,
               itemStyle: { color: s.color }, barMaxWidth: 36,
               label: { show: !spec.stacked && !spec.compact ? true : false, position: "top", fontSize: 11,
                        formatter: function (p) { return p.value ? fmt(p.value, "") : ""; } } };
    });
    if (spec.compact) {
      series.forEach(function (s) {
        s.label = { show: true, position: "top", fontSize: 10,
                    formatter: function (p) { return p.value ? String(p.value) : ""; } };
      });
    }
    if (spec.line) {
      series.push({ type: "line", name: spec.line.name, data: spec.line.values, step: "middle", symbol: "none",
                    lineStyle: { color: spec.line.color, type: "dashed", width: 2 },
                    itemStyle: { color: spec.line.color }, z: 5 });
    }
    var showLegend = series.length > 1;
    return {
      grid: { left: 4, right: 8, top: showLegend ? 34 : 16, bottom: 4, containLabel: true },
      legend: { show: showLegend, top: 0, left: 0, itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 12 } },
      xAxis: { type: "category", data: spec.labels, axisTick: { alignWithLabel: true },
               axisLabel: { fontSize: spec.compact ? 10 : 12, hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1, splitNumber: spec.compact ? 3 : 4,
               axisLabel: { fontSize: spec.compact ? 10 : 12,
                            formatter: function (v) { return fmt(v, spec.compact ? "" : spec.unit); } } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
                 valueFormatter: function (v) { return fmt(v, spec.unit); } },
      series: series
    };
  }

  function draw(el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
    if (spec.kind === "bars") {
      // one row per bar: the box grows with the number of labels (CSSOM, allowed by the CSP)
      el.style.height = Math.max(120, spec.labels.length * 36 + 40) + "px";
    }
    el.classList.add("chart-drawn");  // shown from now on (hidden without JS: the table says it all)
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var option = spec.kind === "bars" ? barsOption(spec, el.clientWidth) : columnsOption(spec);
    option.animation = false;
    option.aria = { enabled: false };  // the table beside is what assistive technology reads
    option.textStyle = { fontFamily: fontFamily() };
    chart.setOption(option);
    return chart;
  }

  function start() {
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = draw(el);
      if (c) { charts.push(c); }
    });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 120);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
