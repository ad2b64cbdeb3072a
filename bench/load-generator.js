'use strict';
/**
 * Open-loop load generator: request i is due at start + i / rate, whatever happened to the ones
 * before it, and its latency is measured from that due instant — not from when it actually left.
 * A stall in the server therefore shows up as latency of every request that should have been sent
 * during it, instead of silently lowering the offered load (the "coordinated omission" that
 * closed-loop tools such as autocannon suffer from).
 *
 * Timing: a worker thread sleeps with Atomics.wait (sub-millisecond, unlike setTimeout's 1 ms
 * granularity) and posts a tick at each due instant; the main thread then sends every request
 * that is due. The worker never spins, so the core it shares with the fake upstream stays free.
 * All clocks are process.hrtime (monotonic, nanoseconds, the same in every thread).
 *
 * Usage: node bench/load-generator.js '<json options>'  → one JSON result line on stdout.
 * Options: url, path, headers, body, mode ('json' | 'stream'), rate, durationS, warmupS,
 *          connections, timeoutMs, drainMs. Requests due during the warm-up are sent but not counted.
 */
const { Worker } = require('node:worker_threads');
const { Pool } = require('undici');

const TICKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const cell = new Int32Array(new SharedArrayBuffer(4));
const { intervalNs, count } = workerData;
const base = BigInt(workerData.base);
parentPort.once('message', (originNs) => {
  for (let i = 0; i < count; i++) {
    const waitMs = (originNs + i * intervalNs - Number(process.hrtime.bigint() - base)) / 1e6;
    if (waitMs > 0) Atomics.wait(cell, 0, 0, waitMs);
    parentPort.postMessage(i);
  }
  parentPort.postMessage(-1);
});
`;

/** A growable list of doubles, so a long run does not allocate one JS number object per sample. */
class Samples {
  constructor() {
    this.values = new Float64Array(1024);
    this.length = 0;
  }
  push(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  sorted() {
    return this.values.slice(0, this.length).sort();
  }
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function summarize(samples) {
  const sorted = samples.sorted();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : null,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

const DATA_PREFIX = Buffer.from('data:');
const DONE_MARKER = Buffer.from('[DONE]');
const EMPTY = Buffer.alloc(0);

function countEvents(buffer) {
  let count = 0;
  for (let at = buffer.indexOf(DATA_PREFIX); at !== -1; at = buffer.indexOf(DATA_PREFIX, at + DATA_PREFIX.length)) count++;
  return count;
}

async function runLoad(options) {
  const {
    url,
    path,
    headers,
    body,
    mode = 'json',
    rate,
    durationS,
    warmupS = 0,
    connections = 256,
    timeoutMs = 10_000,
    drainMs = 5_000,
  } = options;
  const pool = new Pool(url, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const intervalNs = 1e9 / rate;
  const warmupCount = Math.round(warmupS * rate);
  const measuredCount = Math.round(durationS * rate);
  const total = warmupCount + measuredCount;

  const base = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - base); // ns since base
  // The worker gets this thread's base instant, so both measure due times on the same clock.
  const ticker = new Worker(TICKER_SOURCE, { eval: true, workerData: { base: base.toString(), intervalNs, count: total } });
  await new Promise((resolve, reject) => ticker.once('online', resolve).once('error', reject));
  const originNs = now() + 2e6;
  const dueAt = (i) => originNs + i * intervalNs;
  const measureStartNs = dueAt(warmupCount);

  const latency = new Samples();
  const sendLag = new Samples();
  const ttfb = new Samples();
  const gaps = new Samples();
  const errorKinds = new Map();
  let ok = 0;
  let errors = 0;
  let measuredFinished = 0;
  let okTotal = 0;
  let inFlight = 0;
  let closed = false;
  let lastMeasuredDoneNs = 0;
  let allSent = false;
  let resolveDrained;
  const drained = new Promise((resolve) => (resolveDrained = resolve));

  const fail = (i, kind) => {
    if (i < warmupCount) return;
    errors++;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const settle = (i, doneNs, success, kind) => {
    // After the drain deadline the pool is destroyed: those requests were already counted as unfinished.
    if (closed) return;
    inFlight--;
    if (success) okTotal++;
    if (i >= warmupCount) {
      measuredFinished++;
      if (success) {
        ok++;
        latency.push((doneNs - dueAt(i)) / 1e6);
        if (doneNs > lastMeasuredDoneNs) lastMeasuredDoneNs = doneNs;
      } else fail(i, kind);
    }
    if (allSent && inFlight === 0) resolveDrained();
  };

  const send = (i) => {
    const sentNs = now();
    if (i >= warmupCount) sendLag.push((sentNs - dueAt(i)) / 1e6);
    inFlight++;
    pool
      .request({ method: 'POST', path, headers, body })
      .then(async ({ statusCode, body: responseBody }) => {
        if (statusCode !== 200) {
          await responseBody.dump().catch(() => undefined);
          settle(i, now(), false, `http ${statusCode}`);
          return;
        }
        if (mode === 'json') {
          const bytes = await responseBody.arrayBuffer();
          settle(i, now(), bytes.byteLength > 0, 'empty body');
          return;
        }
        let events = 0;
        let lastEventNs = 0;
        let sawDone = false;
        // The end of the previous read, so a marker split across two reads is still found, once:
        // 4 bytes cannot hold a whole `data:`, so no event is counted twice.
        let tail = EMPTY;
        const measured = i >= warmupCount;
        for await (const chunk of responseBody) {
          const atNs = now();
          const joined = tail.length ? Buffer.concat([tail, chunk]) : chunk;
          tail = joined.subarray(Math.max(0, joined.length - (DONE_MARKER.length - 1)));
          if (joined.indexOf(DONE_MARKER) !== -1) sawDone = true;
          const n = countEvents(joined.subarray(Math.max(0, joined.length - chunk.length - (DATA_PREFIX.length - 1))));
          if (n === 0) continue;
          if (measured) {
            if (events === 0) ttfb.push((atNs - dueAt(i)) / 1e6);
            else gaps.push((atNs - lastEventNs) / 1e6);
            // Events that arrived in the same read came with no gap between them.
            for (let k = 1; k < n; k++) gaps.push(0);
          }
          events += n;
          lastEventNs = atNs;
        }
        settle(i, now(), sawDone && events >= 2, sawDone ? 'too few events' : 'stream ended without [DONE]');
      })
      .catch((error) => settle(i, now(), false, error.code ?? error.name ?? 'request error'));
  };

  let nextIndex = 0;
  await new Promise((resolve, reject) => {
    ticker.on('error', reject);
    ticker.postMessage(originNs);
    ticker.on('message', (tick) => {
      const t = now();
      // Send this tick's request and everything else already due, even if ticks were coalesced
      // while this thread was busy (or the sleep returned a few microseconds early).
      while (nextIndex < total && (nextIndex <= tick || dueAt(nextIndex) <= t)) send(nextIndex++);
      if (tick === -1) {
        while (nextIndex < total) send(nextIndex++);
        resolve();
      }
    });
  });
  await ticker.terminate();
  allSent = true;
  const sendEndNs = now();
  if (inFlight === 0) resolveDrained();
  let timedOut = false;
  await Promise.race([drained, new Promise((resolve) => setTimeout(() => ((timedOut = true), resolve()), drainMs).unref())]);
  closed = true;
  const unfinished = measuredCount - measuredFinished;
  if (timedOut && unfinished > 0) {
    errors += unfinished;
    errorKinds.set('unfinished at end of drain', unfinished);
  }
  await pool.destroy().catch(() => undefined);

  // Delivered rate over the measured window, stretched when answers trail the last send: a server
  // that keeps up finishes within a few milliseconds of it, one that falls behind builds a backlog
  // of seconds. The 100 ms of grace keeps a single late answer from failing a short run.
  const windowS = Math.max(durationS, (lastMeasuredDoneNs - measureStartNs) / 1e9 - 0.1);
  const lat = summarize(latency);
  const result = {
    mode,
    rate,
    duration_s: durationS,
    sent: measuredCount,
    sent_total: total,
    ok_total: okTotal,
    ok,
    errors,
    error_kinds: Object.fromEntries(errorKinds),
    achieved_rps: ok / windowS,
    p50_ms: lat.p50,
    p90_ms: lat.p90,
    p99_ms: lat.p99,
    max_ms: lat.max,
    mean_ms: lat.mean,
    // How late the generator itself sent requests: a check on the measuring instrument.
    send_lag_p50_ms: summarize(sendLag).p50,
    send_lag_p99_ms: summarize(sendLag).p99,
    send_window_s: (sendEndNs - originNs) / 1e9,
    // This process's own CPU time, start-up included, so the runner can tell what else was busy.
    cpu_s: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  };
  if (mode === 'stream') {
    const first = summarize(ttfb);
    const gap = summarize(gaps);
    Object.assign(result, {
      ttfb_p50_ms: first.p50,
      ttfb_p90_ms: first.p90,
      ttfb_p99_ms: first.p99,
      interchunk_mean_ms: gap.mean,
      interchunk_p50_ms: gap.p50,
      interchunk_p99_ms: gap.p99,
      interchunk_max_ms: gap.max,
    });
  }
  return result;
}

module.exports = { runLoad, percentile };

if (require.main === module) {
  runLoad(JSON.parse(process.argv[2]))
    .then((result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    })
    .catch((error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    });
}
