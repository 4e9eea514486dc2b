// The server's endpoints the page uses: /v1/next (one step), /v1/completions (a streamed continuation)
// and /detokenize (a drawn token outside the shown candidates).

async function postJson(path, body, signal) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  const json = await response.json();
  if (!response.ok) {
    throw new Error(json.error ? json.error.message : `${path}: HTTP ${response.status}`);
  }
  return json;
}

/** The next-token table of POST /v1/next for a prompt and sampling options. */
export function next(prompt, options, topN, signal) {
  return postJson('/v1/next', { prompt, top_n: topN, ...options }, signal);
}

/** The text of token ids (POST /detokenize). */
export async function detokenize(tokens) {
  return (await postJson('/detokenize', { tokens })).content;
}

/**
 * Streams POST /v1/completions (stream: true, logprobs: 5); calls onToken(text, token, logprob, alternatives)
 * for every generated token. Resolves when the server sends [DONE].
 */
export async function stream(prompt, options, maxTokens, onToken) {
  const response = await fetch('/v1/completions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: maxTokens, stream: true, logprobs: 5, ...options }),
  });
  if (!response.ok) {
    const json = await response.json();
    throw new Error(json.error ? json.error.message : `HTTP ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith('data: ')) continue;
      const data = event.slice(6);
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices[0];
      if (choice && choice.logprobs && choice.logprobs.tokens.length > 0) {
        const lp = choice.logprobs;
        onToken(choice.text, lp.tokens[0], lp.token_logprobs[0], lp.top_logprobs[0]);
      }
    }
  }
}
