'use strict';
/**
 * A zero-latency OpenAI-shaped upstream for the benchmark: POST …/chat/completions answers at once,
 * either a small `chat.completion` or, with `stream: true`, 50 `chat.completion.chunk` events
 * (plus the usage event when `stream_options.include_usage` is set, as OpenAI does, then `[DONE]`).
 * Shapes follow https://platform.openai.com/docs/api-reference/chat.
 *
 * Everything that can be is serialised once at start-up, so the fake costs as little CPU as
 * possible on the core it shares with the load generator.
 *
 * Usage: node bench/fake-upstream.js [port]   (0 or none: any free port). Prints `{"port":N}` once listening.
 */
const http = require('node:http');

const STREAM_CHUNKS = 50;
const CREATED = 1_700_000_000;
const MODEL = 'gpt-4o-mini';
const PROMPT_TOKENS = 12;
const COMPLETION_TOKENS = STREAM_CHUNKS;
const USAGE = { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS };

const completionBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello from the benchmark fake.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: USAGE,
    system_fingerprint: 'fp_bench',
  }),
);

function chunkEvent(delta, finishReason, usage) {
  const chunk = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: MODEL,
    system_fingerprint: 'fp_bench',
    choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  if (usage !== undefined) chunk.usage = usage;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The 50 content events: the first carries the role, the last the finish reason. */
const contentEvents = [];
for (let i = 0; i < STREAM_CHUNKS; i++) {
  const delta = i === 0 ? { role: 'assistant', content: 'tok0 ' } : { content: `tok${i} ` };
  contentEvents.push(chunkEvent(i === STREAM_CHUNKS - 1 ? {} : delta, i === STREAM_CHUNKS - 1 ? 'stop' : null, undefined));
}
const usageEvent = chunkEvent(null, null, USAGE);
const doneEvent = 'data: [DONE]\n\n';

const notFoundBody = Buffer.from(
  JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error', param: null, code: null } }),
);

/**
 * Each event is its own write, one event-loop turn apart (setImmediate), so a gateway sees a
 * stream of separate chunks rather than one 50-event buffer, yet no timer adds latency.
 */
function sendStream(res, includeUsage) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' });
  const events = includeUsage ? [...contentEvents, usageEvent, doneEvent] : [...contentEvents, doneEvent];
  let next = 0;
  const writeNext = () => {
    if (res.destroyed) return;
    res.write(events[next++]);
    if (next < events.length) setImmediate(writeNext);
    else res.end();
  };
  writeNext();
}

function handle(req, res) {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    // Drain whatever was sent, then answer like OpenAI's unknown-route 404.
    req.resume();
    req.on('end', () => {
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': notFoundBody.length });
      res.end(notFoundBody);
    });
    return;
  }
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Invalid JSON body', type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    if (body.stream === true) {
      sendStream(res, body.stream_options?.include_usage === true);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': completionBody.length, 'x-request-id': 'req_bench' });
    res.end(completionBody);
  });
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, handle);
// Far above any run's length, so pooled connections from the gateways are never closed mid-run.
server.headersTimeout = 120_000;
server.requestTimeout = 0;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
