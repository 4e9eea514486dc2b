// Wires the page: the prompt and sliders ask /v1/next (debounced), "sample" and a click on a candidate
// append a token and move on to the next position, "generate" streams a shaded continuation.

import { detokenize, next, stream } from './api.js';
import { samplingOptions, showValues, debounce } from './options.js';
import { Distribution } from './distribution.js';
import { showDraw } from './draw.js';
import { Comparison } from './compare.js';
import { addToken } from './generated.js';

const TOP_N = 15;
const $ = (id) => document.getElementById(id);
const prompt = $('prompt');
const status = $('status');
const distribution = new Distribution($('distribution-chart'), $('distribution-table'), (c) => append(c.token));
const comparison = new Comparison();
let controller = null;
let latest = null;

function fail(error) {
  if (error.name !== 'AbortError') status.textContent = error.message;
}

/** Asks /v1/next for the prompt and the controls' options; draws the answer unless a newer one was asked. */
async function refresh() {
  showValues();
  controller?.abort();
  controller = new AbortController();
  const options = samplingOptions();
  distribution.loading();
  try {
    const response = await next(prompt.value, options, TOP_N, controller.signal);
    latest = response;
    distribution.show(response, { prompt: prompt.value, ...options });
    showDraw($('draw'), response);
    highlightLoop(response.processors);
    status.textContent = '';
  } catch (error) {
    fail(error);
  }
}

function highlightLoop(processors) {
  for (const step of document.querySelectorAll('.loop span')) {
    const name = step.dataset.step;
    const active = ['logits', 'softmax', 'sample', 'append'].includes(name)
      || processors.some((p) => p.startsWith(name));
    step.classList.toggle('active', active);
  }
}

/** Appends a token's text to the prompt and moves on to the next position. */
function append(token) {
  prompt.value += token;
  refresh();
  refreshComparison();
}

/** Appends the token the seed draws, then moves the seed on by one for the next step. */
async function sample() {
  if (!latest) return;
  const chosen = latest.candidates.find((c) => c.id === latest.chosen_id);
  try {
    const token = chosen ? chosen.token : await detokenize([latest.chosen_id]);
    $('seed').value = String(Number($('seed').value) + 1);
    append(token);
  } catch (error) {
    fail(error);
  }
}

async function generate() {
  const out = $('generated');
  const context = document.createElement('span');
  context.className = 'context';
  context.textContent = prompt.value;
  out.replaceChildren(context);
  out.dataset.state = 'streaming';
  $('generate').disabled = true;
  try {
    await stream(prompt.value, samplingOptions(), Number($('max-tokens').value), (text, token, logprob, alts) =>
      addToken(out, text, token, logprob, alts));
    out.dataset.state = 'done';
  } catch (error) {
    out.dataset.state = 'failed';
    fail(error);
  } finally {
    $('generate').disabled = false;
  }
}

const refreshSoon = debounce(refresh, 120);
const refreshComparison = debounce(() => comparison.show(prompt.value).catch(fail), 300);
for (const id of ['temperature', 'top-k', 'top-p', 'min-p', 'seed']) {
  $(id).addEventListener('input', () => { showValues(); refreshSoon(); });
}
prompt.addEventListener('input', () => { refreshSoon(); refreshComparison(); });
$('sample').addEventListener('click', sample);
$('generate').addEventListener('click', generate);
refresh();
refreshComparison();
