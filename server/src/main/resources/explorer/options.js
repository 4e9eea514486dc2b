// The sliders and fields: their values as the API's sampling options, and their labels.

const $ = (id) => document.getElementById(id);

/** The sampling options the controls describe, as /v1/next and /v1/completions name them. */
export function samplingOptions() {
  const options = { temperature: Number($('temperature').value), seed: Number($('seed').value) };
  const topK = Number($('top-k').value);
  const topP = Number($('top-p').value);
  const minP = Number($('min-p').value);
  if (topK > 0) options.top_k = topK;
  if (topP < 1) options.top_p = topP;
  if (minP > 0) options.min_p = minP;
  return options;
}

/** Writes each slider's value beside it ("off" where it changes nothing). */
export function showValues() {
  const t = Number($('temperature').value);
  $('temperature-value').value = t === 0 ? '0 (greedy)' : String(t);
  $('top-k-value').value = Number($('top-k').value) > 0 ? $('top-k').value : 'off';
  $('top-p-value').value = Number($('top-p').value) < 1 ? $('top-p').value : 'off';
  $('min-p-value').value = Number($('min-p').value) > 0 ? $('min-p').value : 'off';
}

/** Calls fn(delay-ed) once the calls stop for `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
