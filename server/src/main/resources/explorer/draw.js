// Where the sampler's uniform draw u fell on the cumulative distribution (token-id order).

import { label } from './distribution.js';

/** Draws the strip [0, 1) with each shown candidate's interval and the marker at u. */
export function showDraw(container, response) {
  container.replaceChildren();
  const draw = response.draw;
  if (!draw) {
    container.textContent = 'Temperature 0: no draw, the most likely token is taken (greedy).';
    return;
  }
  const byId = new Map(response.candidates.map((c) => [c.id, c]));
  const strip = document.createElement('div');
  strip.className = 'strip';
  strip.setAttribute('role', 'img');
  draw.intervals.forEach((interval, i) => {
    const segment = document.createElement('div');
    const token = byId.get(interval.id).token;
    segment.className = interval.id === response.chosen_id ? 'segment chosen' : `segment shade-${i % 2}`;
    if (interval.to - interval.from > 0.05) segment.textContent = label(token);
    segment.style.left = `${100 * interval.from}%`;
    segment.style.width = `${100 * (interval.to - interval.from)}%`;
    segment.title = `${label(token)}: [${interval.from.toFixed(4)}, ${interval.to.toFixed(4)})`;
    strip.append(segment);
  });
  const marker = document.createElement('div');
  marker.className = 'marker';
  marker.style.left = `${100 * draw.u}%`;
  strip.append(marker);
  const chosen = byId.get(response.chosen_id);
  const text = document.createElement('p');
  text.id = 'draw-text';
  text.dataset.u = String(draw.u);
  text.textContent = `seed ${response.seed}: u = ${draw.u.toFixed(4)} falls in the interval of `
    + `${chosen ? label(chosen.token) : `token ${response.chosen_id}`}. The sampler walks the vocabulary `
    + 'in token-id order adding up probabilities; coloured: the candidates above (the chosen one darker), '
    + 'grey: every other token.';
  strip.setAttribute('aria-label', text.textContent);
  container.append(strip, text);
}
