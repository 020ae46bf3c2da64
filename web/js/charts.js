/* A source's chart: frames and detections per second (left axis) and the stages' latency in
 * milliseconds (right axis) over the last five minutes, drawn by uPlot from Fleet's history.
 * A classic script (see index.html): it defines MQP.SourceChart. */
(function (root) {
  'use strict';

  const SERIES = [
    { key: 'fps', label: 'frames/s', scale: 'rate', stroke: '#2f7d4a' },
    { key: 'dets', label: 'detections/s', scale: 'rate', stroke: '#8a5cc2' },
    { key: 'decode', label: 'decode ms', scale: 'ms', stroke: '#c98a1b' },
    { key: 'infer', label: 'inference ms', scale: 'ms', stroke: '#c2410c' },
    { key: 'e2e', label: 'end to end ms', scale: 'ms', stroke: '#1d4ed8', dash: [4, 3] },
  ];

  class SourceChart {
    constructor(el, width) {
      this.el = el;
      this.plot = null;
      this.width = width;
      if (typeof root.uPlot !== 'function') {
        el.textContent = 'charts need vendor/uPlot.iife.min.js (installed by the build from npm)';
        return;
      }
      const opts = {
        width, height: 170,
        scales: { x: { time: true, range: (u, lo, hi) => [Math.min(lo, hi - 60), hi] }, rate: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] },
                  ms: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
        axes: [
          { stroke: '#666' },
          { scale: 'rate', label: 'per second', stroke: '#666', size: 50 },
          { scale: 'ms', label: 'ms', side: 1, stroke: '#666', grid: { show: false }, size: 50 },
        ],
        series: [{}].concat(SERIES.map((s) => ({ label: s.label, scale: s.scale, stroke: s.stroke,
                                                   width: 1.5, dash: s.dash, spanGaps: false }))),
        legend: { live: false },
      };
      this.plot = new root.uPlot(opts, [[], [], [], [], [], []], el);
    }

    update(history) {
      if (!this.plot) {
        return;
      }
      this.plot.setData([history.t].concat(SERIES.map((s) => history[s.key])));
    }

    resize(width) {
      if (this.plot && width > 0 && Math.abs(width - this.width) > 8) {
        this.width = width;
        this.plot.setSize({ width, height: 170 });
      }
    }
  }

  root.MQP = root.MQP || {};
  root.MQP.SourceChart = SourceChart;
})(typeof window !== 'undefined' ? window : globalThis);
