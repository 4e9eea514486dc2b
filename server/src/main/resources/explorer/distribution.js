// The next-token distribution: a bar chart (probability at temperature 1 beside the final probability,
// removed candidates grey) and the same numbers as a table whose token buttons append the token.

const BLUE = 'rgba(54, 116, 181, 0.85)';
const ORANGE = 'rgba(230, 126, 34, 0.9)';
const GREY = 'rgba(150, 150, 150, 0.45)';

/** A token as the page writes it: quoted, so spaces and newlines show. */
export function label(token) {
  return JSON.stringify(token);
}

/** A short processor name: "TopKProcessor(k=5)" → "TopK(k=5)". */
export function shortName(processor) {
  return processor ? processor.replace('Processor', '') : '';
}

export class Distribution {
  constructor(canvas, table, onPick) {
    this.table = table;
    this.onPick = onPick;
    this.candidates = [];
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [
        { label: 'p at temperature 1', data: [], backgroundColor: [] },
        { label: 'p after the options', data: [], backgroundColor: [] },
      ] },
      options: {
        indexAxis: 'y',
        animation: { duration: 250 },
        maintainAspectRatio: false,
        scales: { x: { min: 0, title: { display: true, text: 'probability' } } },
        plugins: {
          tooltip: { callbacks: { afterLabel: (item) => {
            const removed = this.candidates[item.dataIndex].removed_by;
            return removed ? `removed by ${removed}` : '';
          } } },
        },
        onClick: (event, elements) => {
          if (elements.length > 0) this.onPick(this.candidates[elements[0].index]);
        },
      },
    });
  }

  /** Draws a /v1/next response; `request` (prompt and options) goes to the table's data-request. */
  show(response, request) {
    this.candidates = response.candidates;
    const c = this.candidates;
    const chart = this.chart;
    chart.data.labels = c.map((x) => x.removed_by ? `${label(x.token)} ✕ ${shortName(x.removed_by)}` : label(x.token));
    chart.data.datasets[0].data = c.map((x) => x.probability_t1);
    chart.data.datasets[0].backgroundColor = c.map((x) => x.removed_by ? GREY : BLUE);
    chart.data.datasets[1].data = c.map((x) => x.probability);
    chart.data.datasets[1].backgroundColor = c.map((x) => x.removed_by ? GREY : ORANGE);
    chart.update();
    this.fillTable(response, request);
  }

  fillTable(response, request) {
    const body = this.table.tBodies[0];
    body.replaceChildren(...response.candidates.map((x) => this.row(x)));
    this.table.dataset.request = JSON.stringify(request);
    this.table.dataset.chosenId = String(response.chosen_id);
    this.table.dataset.state = 'ready';
    document.getElementById('processors').textContent = response.processors.length > 0
      ? `after ${response.processors.map(shortName).join(', ')}` : '(no processor)';
  }

  row(x) {
    const tr = document.createElement('tr');
    tr.dataset.id = String(x.id);
    tr.dataset.probabilityT1 = String(x.probability_t1);
    tr.dataset.probability = String(x.probability);
    tr.dataset.removedBy = x.removed_by || '';
    if (x.removed_by) tr.classList.add('removed');
    if (x.chosen) tr.classList.add('chosen');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'token';
    button.textContent = label(x.token);
    button.title = `append ${label(x.token)} (id ${x.id})`;
    button.addEventListener('click', () => this.onPick(x));
    const cells = [button, percent(x.probability_t1), percent(x.probability), shortName(x.removed_by)];
    for (const content of cells) {
      const td = document.createElement('td');
      td.append(content);
      tr.append(td);
    }
    return tr;
  }

  /** Marks the table stale while a new request runs. */
  loading() {
    this.table.dataset.state = 'loading';
  }
}

export function percent(p) {
  return p === 0 ? '0' : p < 0.001 ? '<0.1%' : `${(100 * p).toFixed(1)}%`;
}
