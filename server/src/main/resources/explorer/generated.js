// A streamed continuation: every token shaded by its probability, its alternatives shown on hover or focus.

import { label, percent } from './distribution.js';

/** Appends one generated token to `container`. */
export function addToken(container, text, token, logprob, alternatives) {
  const p = Math.exp(logprob);
  const span = document.createElement('span');
  span.className = 'tok';
  span.tabIndex = 0;
  span.dataset.probability = String(p);
  // darker for less likely tokens: the colour's strength is 1 - p
  span.style.backgroundColor = `rgba(230, 126, 34, ${(0.08 + 0.8 * (1 - p)).toFixed(3)})`;
  const shown = document.createElement('span');
  shown.className = 'text';
  shown.textContent = text;
  span.append(shown);
  const list = document.createElement('span');
  list.className = 'alts';
  list.setAttribute('role', 'tooltip');
  const rows = Object.entries(alternatives || {}).sort((a, b) => b[1] - a[1]);
  list.textContent = rows.map(([t, lp]) => `${t === token ? '▸ ' : ''}${label(t)} ${percent(Math.exp(lp))}`).join('\n');
  span.setAttribute('aria-label', `${label(token)}, probability ${percent(p)}`);
  span.append(list);
  container.append(span);
}
