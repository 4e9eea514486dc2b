// The notebook's comparison: the same prompt's distribution at temperatures 0.1, 1 and 10, side by side
// (each chart scaled to its own largest bar, so the shapes compare: one spike, the model's, nearly flat).

import { next } from './api.js';
import { label } from './distribution.js';

export const TEMPERATURES = [0.1, 1, 10];

function smallChart(canvas) {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'p', data: [], backgroundColor: 'rgba(54, 116, 181, 0.85)' }] },
    options: {
      animation: { duration: 200 },
      plugins: { legend: { display: false } },
      scales: { y: { min: 0, ticks: { callback: (v) => `${Number((100 * v).toPrecision(2))}%` } }, x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 60 } } },
    },
  });
}

export class Comparison {
  constructor() {
    this.charts = TEMPERATURES.map((t) => smallChart(document.getElementById(`compare-${t}`)));
    this.controller = null;
  }

  /** Redraws the three charts for a prompt (an older request still running is aborted). */
  async show(prompt) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const responses = await Promise.all(TEMPERATURES.map((t) => next(prompt, { temperature: t }, 8, controller.signal)));
    responses.forEach((response, i) => {
      const chart = this.charts[i];
      chart.data.labels = response.candidates.map((c) => label(c.token));
      chart.data.datasets[0].data = response.candidates.map((c) => c.probability);
      chart.update();
    });
  }
}
