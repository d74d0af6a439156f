// The dashboard's few lines of interaction: re-draw on a new day, and draw the charts.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const field of form.querySelectorAll("input, select")) {
      field.addEventListener("change", () => { if (form.checkValidity()) form.submit(); });
    }
  }
  if (typeof echarts === "undefined") return;
  const data = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const draw = (id, option) => {
    const node = document.getElementById(id);
    if (!node) return;
    const chart = echarts.init(node, null, { renderer: "svg" });
    // No animation: the page is complete when it has loaded (and screenshots show all of it).
    chart.setOption({ animation: false, ...option });
    window.addEventListener("resize", () => chart.resize());
  };
  const openness = data("openness-data");
  if (openness) {
    draw("openness-chart", {
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 24, bottom: 48 },
      xAxis: { type: "time" },
      yAxis: { type: "value", min: 0, max: 1, name: "index" },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      series: [{
        type: "line", step: "end", showSymbol: false, name: "openness",
        data: openness.points,
        markPoint: { symbol: "pin", symbolSize: 28, data: openness.facts.map((f) => ({ coord: [f[0], f[1]], value: "", name: f[2] })) },
      }],
    });
  }
  const channels = data("channels-data");
  if (channels) {
    draw("channels-chart", {
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 24, bottom: 32 },
      xAxis: { type: "category", data: channels.map((c) => c[0]) },
      yAxis: { type: "value", name: "orders" },
      series: [{ type: "bar", name: "orders", data: channels.map((c) => c[1]) }],
    });
  }
  const flow = data("flow-data");
  if (flow && flow.links.length) {
    draw("flow-chart", {
      tooltip: { trigger: "item" },
      series: [{
        type: "sankey", left: 8, right: 160, top: 8, bottom: 8,
        emphasis: { focus: "adjacency" }, label: { fontSize: 11 },
        data: flow.nodes, links: flow.links,
      }],
    });
  }
  const available = data("availability-data");
  if (available && available.months.length) {
    draw("availability-chart", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 48, right: 16, top: 32, bottom: 48 },
      xAxis: { type: "category", data: available.months },
      yAxis: { type: "value", min: 0, max: 100, name: "%" },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      series: available.series.map((s) => ({ type: "line", name: s.name, data: s.data, connectNulls: false, showSymbol: available.months.length < 40 })),
    });
  }
  const latency = data("latency-data");
  if (latency) {
    draw("latency-chart", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      xAxis: { type: "category", data: latency.map((c) => c[0]) },
      yAxis: { type: "value", name: "ms" },
      series: [
        { type: "bar", name: "p50", data: latency.map((c) => c[1]) },
        { type: "bar", name: "p95", data: latency.map((c) => c[2]) },
      ],
    });
  }
});
