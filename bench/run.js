#!/usr/bin/env node
'use strict';
/**
 * `npm run bench` — how much latency and CPU Tollgate adds in front of an LLM provider, measured
 * against a zero-latency fake upstream, a raw Node passthrough (the raw floor), a bare NestJS-on-Express
 * relay (the framework floor) and Portkey's gateway.
 *
 *   npm run bench                 full run: 3 repeats × 10 s per rate + a max-rate search, medians (~30 min)
 *   npm run bench -- --quick      1 repeat, 1.5 s runs, a short search (< 2 min; a first look, noisy)
 *   npm run bench -- --smoke      Tollgate on SQLite only, 50 req/s for 2 s; exit 1 on any error (CI)
 *
 * Other options: --repeats=N --duration=S --warmup=S --rates=200,500,1000 --stream-rates=100
 *   --scenarios=direct,raw-node-floor,framework-floor,tollgate-sqlite,tollgate-sqlite-2w,tollgate-postgres,portkey --no-search
 *   --cpu-prof (Tollgate runs under `node --cpu-prof`; profiles land in bench/results/profiles/)
 *   --wait-idle[=S] (before each run, wait up to S seconds, default 120, until the rest of the machine is quiet)
 *   --no-pin-postgres (leave PostgreSQL where the scheduler puts it, as runs before issue 13 did)
 *   --json-logs (Tollgate runs with --json-logs, so with its per-request access log: what logging costs)
 *
 * Layout on the 2-core machine (taskset): the process under test (a gateway, or the floor) alone on
 * CPU 0; the fake upstream, the load generator and PostgreSQL (all its server processes, for the
 * length of the run; see pinPostgres) on CPU 1. The exception is tollgate-sqlite-2w (`--num_workers 2`):
 * its primary, both workers and the load generator are unpinned and share both cores with the fake,
 * as a gateway given the whole machine would run. Results: a table on stdout and bench/results/latest.json.
 */
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const BENCH_DIR = __dirname;
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const GATEWAY_MAIN = path.join(REPO_ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
const PORTKEY_ENTRY = path.join(BENCH_DIR, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
const POSTGRES_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const SUT_CPU = 0;
const LOAD_CPU = 1;
const CLOCK_TICKS_PER_S = 100; // USER_HZ, what /proc/stat and /proc/<pid>/stat count in.
/** A rate is sustained when this share of the offered load is delivered, with p50 ≤ 5 ms and no errors. */
const SUSTAIN_DELIVERED = 0.99;
const SUSTAIN_P50_MS = 5;

const ALL_SCENARIOS = [
  'direct',
  'raw-node-floor',
  'framework-floor',
  'tollgate-sqlite',
  'tollgate-sqlite-2w',
  'tollgate-postgres',
  'portkey',
];
/** Scenarios given the whole machine: the process under test and the load generator both unpinned. */
const UNPINNED_SCENARIOS = new Set(['tollgate-sqlite-2w']);
const SCENARIO_LABELS = {
  direct: 'direct to the fake (baseline)',
  'raw-node-floor': 'raw Node passthrough (node:http + undici)',
  'framework-floor': 'bare NestJS 11 on Express relaying the body with undici (no guard, interceptor or database)',
  'tollgate-sqlite': 'Tollgate, governance on, SQLite',
  'tollgate-sqlite-2w': 'Tollgate, governance on, SQLite, --num_workers 2; gateway and load generator unpinned on both cores',
  'tollgate-postgres': 'Tollgate, governance on, PostgreSQL',
  portkey: 'Portkey gateway (open source, --headless)',
};

// ─── options ─────────────────────────────────────────────────────────────────────────────────────

function parseOptions(argv) {
  const flags = new Map();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`${arg}: unknown argument (see the header of bench/run.js)`);
    flags.set(match[1], match[2] ?? true);
  }
  const known = [
    'quick',
    'smoke',
    'repeats',
    'duration',
    'warmup',
    'rates',
    'stream-rates',
    'scenarios',
    'no-search',
    'cpu-prof',
    'wait-idle',
    'no-pin-postgres',
    'json-logs',
    'help',
  ];
  for (const name of flags.keys())
    if (!known.includes(name)) throw new Error(`--${name}: unknown option (known: ${known.map((k) => `--${k}`).join(' ')})`);
  const quick = flags.has('quick');
  const smoke = flags.has('smoke');
  const list = (value) =>
    String(value)
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const numbers = (value) =>
    list(value)
      .map(Number)
      .filter((n) => Number.isFinite(n) && n > 0);
  const options = {
    help: flags.has('help'),
    kind: smoke ? 'smoke' : quick ? 'quick' : 'full',
    repeats: Number(flags.get('repeats') ?? (quick || smoke ? 1 : 3)),
    durationS: Number(flags.get('duration') ?? (smoke ? 2 : quick ? 1.5 : 10)),
    warmupS: Number(flags.get('warmup') ?? (smoke ? 0 : quick ? 0.5 : 3)),
    jsonRates: flags.has('rates') ? numbers(flags.get('rates')) : smoke ? [50] : [200, 500, 1000],
    streamRates: flags.has('stream-rates') ? numbers(flags.get('stream-rates')) : smoke ? [] : quick ? [100] : [100, 250],
    scenarios: flags.has('scenarios') ? list(flags.get('scenarios')) : smoke ? ['tollgate-sqlite'] : ALL_SCENARIOS,
    search: !flags.has('no-search') && !smoke,
    // The search for the highest sustained rate: short runs, geometric steps, then bisection.
    searchDurationS: quick ? 1.5 : 5,
    searchWarmupS: quick ? 0.5 : 1,
    searchFactor: quick ? 1.5 : 1.25,
    searchBisections: quick ? 1 : 2,
    searchMaxProbes: quick ? 2 : 10,
    searchCapRps: 20_000,
    // The baseline's ceiling is the generator's and the fake's, not a gateway's: only worth the time in a full run.
    searchDirect: !quick,
    // How long a run waits for late answers after its last request was due.
    drainMs: quick ? 1000 : smoke ? 2000 : 5000,
    settleMs: quick ? 300 : 1000,
    cpuProf: flags.has('cpu-prof'),
    pinPostgres: !flags.has('no-pin-postgres'),
    jsonLogs: flags.has('json-logs'),
    // On a shared machine: before each run, wait up to this long for other work to go quiet.
    waitIdleS: flags.has('wait-idle') ? Number(flags.get('wait-idle') === true ? 120 : flags.get('wait-idle')) : 0,
  };
  for (const name of options.scenarios)
    if (!ALL_SCENARIOS.includes(name)) throw new Error(`--scenarios: unknown scenario ${name} (known: ${ALL_SCENARIOS.join(', ')})`);
  if (!(options.repeats >= 1) || !(options.durationS > 0) || !(options.warmupS >= 0))
    throw new Error('--repeats, --duration and --warmup must be positive numbers');
  return options;
}

// ─── set-up: dependencies, build, machine ────────────────────────────────────────────────────────

/** bench/ has its own package.json, so nothing it needs reaches the gateway's production dependencies. */
function ensureBenchDependencies() {
  if (existsSync(path.join(BENCH_DIR, 'node_modules'))) return { ok: true };
  console.log('Installing the benchmark dependencies (npm install --prefix bench)…');
  const result = spawnSync('npm', ['install', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status === 0) return { ok: true };
  // undici and pg are also the gateway's own dependencies, so the other scenarios still run.
  const detail = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  console.warn(`npm install --prefix bench failed (${result.status}): ${detail}`);
  return { ok: false, reason: `npm install --prefix bench failed: ${detail}` };
}

function ensureGatewayBuilt() {
  if (existsSync(GATEWAY_MAIN)) return;
  console.log('No build at dist/apps/gateway/src/main.js: running npm run build…');
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 600_000 });
  if (result.status !== 0 || !existsSync(GATEWAY_MAIN)) throw new Error(`npm run build failed (exit ${result.status})`);
}

/** When the gateway under test was built: other people rebuild dist/ too, and a run should use one build. */
function gatewayBuiltAt() {
  try {
    return statSync(GATEWAY_MAIN).mtime.toISOString();
  } catch {
    return null;
  }
}

function describeMachine() {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const field = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim();
  const hypervisor = /\bhypervisor\b/.test(field('flags') ?? '');
  const taskset = spawnSync('taskset', ['--version'], { encoding: 'utf8' }).status === 0;
  const cores = os.cpus().length;
  return {
    cpu_model: field('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    cpu_family_model: field('cpu family') ? `family ${field('cpu family')}, model ${field('model')}` : undefined,
    cpu_mhz: Number(field('cpu MHz')) || undefined,
    cores,
    virtualised: hypervisor,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    pinning:
      taskset && cores >= 2
        ? `taskset: process under test on CPU ${SUT_CPU}; fake upstream + load generator on CPU ${LOAD_CPU}; PostgreSQL (every server process) on CPU ${LOAD_CPU} while the run lasts`
        : 'none (taskset missing or fewer than 2 cores)',
    pinned: taskset && cores >= 2,
    load_average_at_start: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

// ─── processes ───────────────────────────────────────────────────────────────────────────────────

const children = new Set();
let pinningEnabled = false;

/**
 * `taskset -c <cpu> cmd …`: taskset execs the command, so the pid we get is the pinned process itself.
 * `cpu` null leaves the process to the scheduler.
 */
function pinned(cpu, command, args) {
  return pinningEnabled && cpu !== null ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

function childEnv(extra) {
  const env = {};
  const dropped = new Set([
    'DATABASE_URL',
    'REDIS_URL',
    'NODE_ENV',
    'NODE_OPTIONS',
    'LITELLM_MASTER_KEY',
    'PORT',
    'HOST',
    'CONFIG_FILE_PATH',
    'ENV_FILE',
  ]);
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !dropped.has(name) && !name.startsWith('npm_')) env[name] = value;
  return { ...env, ...extra };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a long-lived process. Ready when it prints `{"port":N}` (our own scripts) or when
 * `readyUrl` answers 2xx (the gateways).
 */
async function startService({ name, cpu, args, env, cwd, readyPath, port, timeoutMs = 60_000 }) {
  const [command, commandArgs] = pinned(cpu, process.execPath, args);
  const child = spawn(command, commandArgs, { cwd: cwd ?? BENCH_DIR, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > 64_000) output = output.slice(-32_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exitCode;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => ((exitCode = code ?? signal), children.delete(child), resolve())),
  );

  const deadline = Date.now() + timeoutMs;
  let listenPort = port;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${name} exited during start-up (${exitCode}):\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${output.slice(-4000)}`);
    }
    if (listenPort === undefined) {
      const announced = /\{"port":(\d+)\}/.exec(output);
      if (announced) listenPort = Number(announced[1]);
    } else if (readyPath === undefined) {
      break;
    } else {
      try {
        const response = await fetch(`http://127.0.0.1:${listenPort}${readyPath}`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.ok) break;
      } catch {
        // Not listening yet.
      }
    }
    await sleep(50);
  }
  return {
    name,
    pid: child.pid,
    port: listenPort,
    url: `http://127.0.0.1:${listenPort}`,
    output: () => output,
    async stop(graceMs = 8000) {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
      if (exitCode === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * PostgreSQL gets its own core budget: every server process (postmaster, background workers,
 * existing backends) moves to the load generator's CPU, and backends forked later inherit it from
 * the postmaster. Otherwise its backends compete with the gateway for CPU ${SUT_CPU} and what we
 * measure is the scheduler. Returns how to put the old affinities back.
 */
function pinPostgres(cpu) {
  const ps = spawnSync('ps', ['-eo', 'pid=,comm='], { encoding: 'utf8' });
  const pids = (ps.stdout ?? '')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'postgres')
    .map(([pid]) => pid);
  const previous = [];
  for (const pid of pids) {
    const before = /:\s*(\S+)\s*$/.exec(spawnSync('taskset', ['-p', '-c', pid], { encoding: 'utf8' }).stdout ?? '')?.[1];
    if (spawnSync('taskset', ['-p', '-c', String(cpu), pid], { encoding: 'utf8' }).status === 0 && before) previous.push([pid, before]);
  }
  return {
    pinned: previous.length,
    restore() {
      for (const [pid, list] of previous) spawnSync('taskset', ['-p', '-c', list, pid]);
    },
  };
}

function killAllChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

// ─── /proc: memory and CPU ───────────────────────────────────────────────────────────────────────

function safeRead(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Peak resident set size (VmHWM) of a process so far, in MB. */
function peakRssMb(pid) {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(safeRead(`/proc/${pid}/status`));
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
}

/** A process and its children (a cluster primary and its workers). */
function processTree(pid) {
  const children = [];
  for (const entry of require('node:fs').readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = safeRead(`/proc/${entry}/stat`);
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  return [pid, ...children];
}

/** What a target's processes have used together: CPU seconds and peak RSS (summed over workers). */
function targetCpuS(target) {
  return target.pids().reduce((sum, pid) => sum + processCpuS(pid), 0);
}

function targetPeakRssMb(target) {
  const each = target.pids().map(peakRssMb);
  return each.includes(null)
    ? null
    : round(
        each.reduce((sum, mb) => sum + mb, 0),
        1,
      );
}

/** CPU seconds a process (all its threads) has used. */
function processCpuS(pid) {
  const stat = safeRead(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 12 ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S : 0;
}

/** CPU seconds the whole machine has been busy (all cores). */
function machineBusyS() {
  const line = safeRead('/proc/stat').split('\n')[0];
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_S;
}

const QUIET_CORES = 0.15;

/** Waits until everything else on the machine uses less than QUIET_CORES, or `maxWaitS` passes. */
async function waitForQuiet(maxWaitS) {
  const started = Date.now();
  for (;;) {
    const before = machineBusyS();
    await sleep(500);
    const busyCores = (machineBusyS() - before) / 0.5;
    const waitedS = (Date.now() - started) / 1000;
    if (busyCores < QUIET_CORES || waitedS >= maxWaitS) return { waitedS, busyCores };
    await sleep(1500);
  }
}

// ─── one measured run ────────────────────────────────────────────────────────────────────────────

function requestBody(model, mode) {
  const body = { model, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }], max_tokens: 64 };
  if (mode === 'stream') Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return JSON.stringify(body);
}

function runGenerator(options, cpu) {
  return new Promise((resolve, reject) => {
    const [command, args] = pinned(cpu, process.execPath, [path.join(BENCH_DIR, 'load-generator.js'), JSON.stringify(options)]);
    const child = spawn(command, args, { cwd: BENCH_DIR, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0) return reject(new Error(`load generator failed (${code}): ${stderr.slice(-2000)}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()));
      } catch (error) {
        reject(new Error(`load generator printed no result: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
  });
}

/**
 * One open-loop run against `target` at `rate`, with the CPU the process under test and everything
 * else on the machine used meanwhile — the second is how we know whether a run was disturbed.
 */
async function measure(target, mode, rate, durationS, warmupS) {
  if (measure.waitIdleS > 0) await waitForQuiet(measure.waitIdleS);
  const busyBefore = machineBusyS();
  const sutBefore = targetCpuS(target);
  const fakeBefore = processCpuS(target.fakePid);
  const wallBefore = process.hrtime.bigint();
  const result = await runGenerator(
    {
      url: target.url,
      path: '/v1/chat/completions',
      headers: target.headers,
      body: requestBody(target.model, mode),
      mode,
      rate,
      durationS,
      warmupS,
      drainMs: measure.drainMs,
    },
    target.unpinned ? null : LOAD_CPU,
  );
  const wallS = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const sutCpuS = targetCpuS(target) - sutBefore;
  const fakeCpuS = target.fakePid === target.pid ? 0 : processCpuS(target.fakePid) - fakeBefore;
  const otherCpuS = Math.max(0, machineBusyS() - busyBefore - sutCpuS - fakeCpuS - result.cpu_s);
  return {
    ...result,
    rss_mb: targetPeakRssMb(target),
    sut_cpu_pct: round((sutCpuS / wallS) * 100, 1),
    // Per answered request, warm-up included: CPU time is spent on those, not on the ones that timed out.
    cpu_us_per_req: result.ok_total > 0 ? round((sutCpuS / result.ok_total) * 1e6, 0) : null,
    other_cpu_pct: round((otherCpuS / wallS) * 100, 1),
  };
}

function sustains(row) {
  return row.errors === 0 && row.achieved_rps >= SUSTAIN_DELIVERED * row.rate && row.p50_ms !== null && row.p50_ms <= SUSTAIN_P50_MS;
}

/**
 * The highest rate a target sustains: geometric steps up from the best fixed rate that passed
 * (or down from the lowest that failed), then bisection between the last pass and the first fail.
 */
async function findMaxRate(target, fixedRows, options, log) {
  const passed = fixedRows.filter(sustains).map((row) => row.rate);
  const failed = fixedRows.filter((row) => !sustains(row)).map((row) => row.rate);
  let best = passed.length ? Math.max(...passed) : 0;
  let limit = Math.min(Infinity, ...failed.filter((rate) => rate > best));
  const probes = [];
  const roundRate = (rate) => (rate >= 1000 ? Math.round(rate / 50) * 50 : Math.round(rate / 10) * 10);
  const probe = async (rate) => {
    if (probes.length >= options.searchMaxProbes) return null;
    const row = await measure(target, 'json', rate, options.searchDurationS, options.searchWarmupS);
    const ok = sustains(row);
    probes.push({
      rate,
      pass: ok,
      p50_ms: round(row.p50_ms, 3),
      p99_ms: round(row.p99_ms, 3),
      achieved_rps: round(row.achieved_rps, 1),
      errors: row.errors,
      other_cpu_pct: row.other_cpu_pct,
    });
    log(
      `  probe ${rate}/s: ${ok ? 'sustained' : 'not sustained'} (p50 ${fmt(row.p50_ms)} ms, ${fmt(row.achieved_rps, 0)}/s delivered, ${row.errors} errors)`,
    );
    // Let a gateway that fell behind drain its backlog before the next step.
    if (!ok) await sleep(options.settleMs);
    return ok;
  };
  if (best === 0) {
    // Not even the lowest fixed rate held: step down, but not below 10/s.
    for (
      let rate = roundRate(Math.min(...failed) / options.searchFactor);
      rate >= 10 && rate < limit;
      rate = roundRate(rate / options.searchFactor)
    ) {
      const ok = await probe(rate);
      if (ok === null) break;
      if (ok) {
        best = rate;
        break;
      }
      limit = rate;
    }
  } else if (limit === Infinity) {
    for (let rate = roundRate(best * options.searchFactor); rate <= options.searchCapRps; rate = roundRate(rate * options.searchFactor)) {
      const ok = await probe(rate);
      if (ok === null) break;
      if (ok) best = rate;
      else {
        limit = rate;
        break;
      }
    }
  }
  for (let i = 0; i < options.searchBisections && best > 0 && Number.isFinite(limit) && limit / best > 1.08; i++) {
    const middle = roundRate((best + limit) / 2);
    if (middle <= best || middle >= limit) break;
    const ok = await probe(middle);
    if (ok === null) break;
    if (ok) best = middle;
    else limit = middle;
  }
  return { max_sustained_rps: best, first_unsustained_rps: Number.isFinite(limit) ? limit : null, probes };
}

/**
 * The fixed rates a scenario runs before its search. In --quick, the 2-worker scenario runs one
 * rate and its search only: its highest sustained rate is what it is there for, and --quick must
 * stay under two minutes.
 */
function ratesFor(name, options) {
  if (name === 'tollgate-sqlite-2w' && options.kind === 'quick') return [['json', [500]]];
  return [
    ['json', options.jsonRates],
    ['stream', options.streamRates],
  ];
}

// ─── the targets under test ──────────────────────────────────────────────────────────────────────

class SkipScenario extends Error {}

async function adminCall(url, masterKey, route, body) {
  const response = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${route} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

async function withPostgres(work) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function startTollgate(kind, context, workers = 1) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `tollgate-bench-${kind}-`));
  let databaseUrl;
  let dropDatabase = async () => undefined;
  if (kind === 'sqlite') {
    databaseUrl = `sqlite:${path.join(workDir, 'tollgate.sqlite')}`;
  } else {
    const name = `tollgate_bench_${randomBytes(5).toString('hex')}`;
    try {
      await withPostgres((client) => client.query(`CREATE DATABASE ${name}`));
    } catch (error) {
      rmSync(workDir, { recursive: true, force: true });
      throw new SkipScenario(`PostgreSQL not reachable at ${POSTGRES_ADMIN_URL.replace(/\/\/[^@]*@/, '//')}: ${error.message}`);
    }
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = () =>
      withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch((error) =>
        console.warn(`could not drop ${name}: ${error.message}`),
      );
    context.cleanups.add(dropDatabase);
  }
  const configPath = path.join(workDir, 'config.yaml');
  writeFileSync(
    configPath,
    [
      'model_list:',
      '  - model_name: bench-model',
      '    litellm_params:',
      '      model: openai/gpt-4o-mini',
      `      api_base: http://127.0.0.1:${context.fake.port}/v1`,
      '      api_key: x',
      'general_settings:',
      '  master_key: os.environ/LITELLM_MASTER_KEY',
      '',
    ].join('\n'),
  );
  const masterKey = `sk-bench-${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const name = `tollgate-${kind}${workers > 1 ? `-${workers}w` : ''}`;
  const profileArgs = context.options.cpuProf
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS_DIR, 'profiles')}`, `--cpu-prof-name=${name}-r${context.repeat}.cpuprofile`]
    : [];
  let service;
  try {
    service = await startService({
      name,
      cpu: workers > 1 ? null : SUT_CPU,
      // The working directory is the temporary one, so no .env from the repository leaks in.
      args: [
        ...profileArgs,
        GATEWAY_MAIN,
        '--config',
        configPath,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        ...(workers > 1 ? ['--num_workers', String(workers)] : []),
        ...(context.options.jsonLogs ? ['--json-logs'] : []),
      ],
      env: { NODE_ENV: 'production', DATABASE_URL: databaseUrl, LITELLM_MASTER_KEY: masterKey },
      cwd: workDir,
      port,
      readyPath: '/health/readiness',
    });
    // Ready means every worker listens, not just the first (which runs the migrations alone).
    for (
      const deadline = Date.now() + 30_000;
      workers > 1 && (service.output().match(/worker \d+ \(pid \d+\) listening/g) ?? []).length < workers;
    ) {
      if (Date.now() > deadline) throw new Error(`${name}: not all ${workers} workers listened:\n${service.output().slice(-4000)}`);
      await sleep(50);
    }
    await adminCall(service.url, masterKey, '/team/new', { team_id: 'bench-team', max_budget: 1_000_000 });
    const { key } = await adminCall(service.url, masterKey, '/key/generate', { team_id: 'bench-team' });
    return {
      url: service.url,
      pid: service.pid,
      model: 'bench-model',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      output: service.output,
      async stop() {
        await service.stop();
        await dropDatabase();
        context.cleanups.delete(dropDatabase);
        rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await service?.stop();
    await dropDatabase();
    context.cleanups.delete(dropDatabase);
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

async function startPortkey(context) {
  if (!existsSync(PORTKEY_ENTRY))
    throw new SkipScenario(
      context.depsProblem ?? `@portkey-ai/gateway is not installed (${path.relative(REPO_ROOT, PORTKEY_ENTRY)} missing)`,
    );
  const port = await freePort();
  const service = await startService({
    name: 'portkey',
    cpu: SUT_CPU,
    args: ['-r', path.join(BENCH_DIR, 'loopback-only.js'), PORTKEY_ENTRY, '--headless', `--port=${port}`],
    env: { NODE_ENV: 'production' },
    port,
    readyPath: '/',
  });
  return {
    url: service.url,
    pid: service.pid,
    model: 'gpt-4o-mini',
    // Portkey routes by header: provider `openai`, at our fake's address.
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer x',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `http://127.0.0.1:${context.fake.port}/v1`,
    },
    output: service.output,
    stop: () => service.stop(),
  };
}

async function startFloor(name, script, context) {
  const service = await startService({ name, cpu: SUT_CPU, args: [path.join(BENCH_DIR, script), context.fake.url, '0'] });
  return {
    url: service.url,
    pid: service.pid,
    model: 'gpt-4o-mini',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    output: service.output,
    stop: () => service.stop(),
  };
}

async function startTarget(name, context) {
  let target;
  switch (name) {
    case 'direct':
      // The process "under test" is the fake itself; its RSS and CPU are reported for reference.
      target = {
        url: context.fake.url,
        pid: context.fake.pid,
        model: 'gpt-4o-mini',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        output: context.fake.output,
        stop: async () => undefined,
      };
      break;
    case 'raw-node-floor':
      target = await startFloor(name, 'raw-floor.js', context);
      break;
    case 'framework-floor':
      target = await startFloor(name, 'nest-floor.js', context);
      break;
    case 'tollgate-sqlite':
      target = await startTollgate('sqlite', context);
      break;
    case 'tollgate-sqlite-2w':
      target = await startTollgate('sqlite', context, 2);
      break;
    case 'tollgate-postgres':
      target = await startTollgate('postgres', context);
      break;
    case 'portkey':
      target = await startPortkey(context);
      break;
    default:
      throw new Error(`unknown scenario ${name}`);
  }
  target.fakePid = context.fake.pid;
  target.unpinned = UNPINNED_SCENARIOS.has(name);
  // The fake's own CPU is counted apart; a gateway's workers are counted with it.
  target.pids = name === 'direct' ? () => [target.pid] : () => processTree(target.pid);
  try {
    await checkAnswers(target);
  } catch (error) {
    await target.stop();
    throw new SkipScenario(`${error.message}\n${target.output().slice(-2000)}`);
  }
  return target;
}

/** One plain and one streaming request, checked by hand before any load, so a broken set-up fails loudly. */
async function checkAnswers(target) {
  for (const mode of ['json', 'stream']) {
    const response = await fetch(`${target.url}/v1/chat/completions`, {
      method: 'POST',
      headers: target.headers,
      body: requestBody(target.model, mode),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${mode} check answered ${response.status}: ${text.slice(0, 500)}`);
    if (mode === 'json' && !JSON.parse(text).choices) throw new Error(`json check: no choices in ${text.slice(0, 300)}`);
    if (mode === 'stream') {
      const events = (text.match(/^data:/gm) ?? []).length;
      if (!text.includes('[DONE]') || events < 50)
        throw new Error(`stream check: ${events} events, [DONE] ${text.includes('[DONE]') ? 'present' : 'missing'}`);
    }
  }
}

// ─── aggregation ─────────────────────────────────────────────────────────────────────────────────

function median(values) {
  const present = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const middle = Math.floor(present.length / 2);
  return present.length % 2 ? present[middle] : (present[middle - 1] + present[middle]) / 2;
}

function round(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function fmt(value, digits = 2) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(digits);
}

/**
 * Medians over repeats. Overheads are taken per repeat against the direct run of the same repeat,
 * mode and rate (so slow drift on the machine cancels), then the median of those.
 */
function aggregate(runs) {
  const direct = new Map(runs.filter((r) => r.name === 'direct').map((r) => [`${r.repeat}|${r.mode}|${r.rate}`, r]));
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.name}|${run.mode}|${run.rate}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  const diff = (run, field) => {
    const base = direct.get(`${run.repeat}|${run.mode}|${run.rate}`);
    return base && run[field] !== null && base[field] !== null ? run[field] - base[field] : null;
  };
  const rows = [];
  for (const group of groups.values()) {
    const first = group[0];
    const pick = (field) => median(group.map((run) => run[field]));
    const row = {
      name: first.name,
      mode: first.mode,
      rate: first.rate,
      p50_ms: round(pick('p50_ms')),
      p90_ms: round(pick('p90_ms')),
      p99_ms: round(pick('p99_ms')),
      achieved_rps: round(pick('achieved_rps'), 1),
      // The worst repeat: an error in any run is not averaged away.
      errors: Math.max(...group.map((run) => run.errors)),
      rss_mb: round(pick('rss_mb'), 1),
      overhead_p50_ms: round(median(group.map((run) => diff(run, 'p50_ms')))),
      overhead_p99_ms: round(median(group.map((run) => diff(run, 'p99_ms')))),
    };
    if (first.mode === 'stream') {
      Object.assign(row, {
        ttfb_p50_ms: round(pick('ttfb_p50_ms')),
        ttfb_p99_ms: round(pick('ttfb_p99_ms')),
        interchunk_mean_ms: round(pick('interchunk_mean_ms'), 4),
        interchunk_p99_ms: round(pick('interchunk_p99_ms')),
        overhead_ttfb_p50_ms: round(median(group.map((run) => diff(run, 'ttfb_p50_ms')))),
        overhead_ttfb_p99_ms: round(median(group.map((run) => diff(run, 'ttfb_p99_ms')))),
        overhead_interchunk_mean_ms: round(median(group.map((run) => diff(run, 'interchunk_mean_ms'))), 4),
      });
    }
    Object.assign(row, {
      cpu_us_per_req: round(pick('cpu_us_per_req'), 0),
      sut_cpu_pct: round(pick('sut_cpu_pct'), 1),
      other_cpu_pct: round(pick('other_cpu_pct'), 1),
      generator_send_lag_p99_ms: round(pick('send_lag_p99_ms')),
      // The sustain rule (p50 ≤ 5 ms) is about plain completions; a 50-event stream is judged by TTFB instead.
      sustained: first.mode === 'json' ? group.every(sustains) : null,
      repeats: group.length,
    });
    rows.push(row);
  }
  const order = (row) => [ALL_SCENARIOS.indexOf(row.name), row.mode === 'json' ? 0 : 1, row.rate];
  return rows.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

function evaluateTargets(rows, scenarios) {
  const find = (name, mode, rate) => rows.find((row) => row.name === name && row.mode === mode && row.rate === rate);
  const scenario = (name) => scenarios.find((s) => s.name === name);
  const targets = [];
  const add = (id, description, measured, pass, unit = 'ms') =>
    targets.push({
      id,
      target: description,
      measured: measured === null || measured === undefined ? null : measured,
      unit,
      pass: measured === null || measured === undefined ? null : pass,
    });

  const overhead = (name, rate) => find(name, 'json', rate)?.overhead_p50_ms;
  /** How far a measured overhead lies beyond its reference's, or null when either is missing. */
  const within = (measured, base) =>
    measured === undefined || measured === null || base === undefined || base === null ? null : round(measured - base);
  const maxOf = (name) => scenario(name)?.max_sustained_rps;
  const ratioOf = (name, base) => {
    const [max, baseMax] = [maxOf(name), maxOf(base)];
    return max !== null && max !== undefined && baseMax ? round(max / baseMax, 2) : null;
  };

  // SQLite, governance on.
  const portkeyMax = maxOf('portkey');
  const versusPortkey = (name, factor) => {
    if (portkeyMax === 0) {
      // No ratio to take: Portkey held none of the (few, in --quick) rates tried. Inconclusive, not a pass.
      targets.push({
        id: `${name}_max_rate_vs_portkey`,
        target: `${name}: highest sustained rate ≥ ${factor}× Portkey's`,
        measured: null,
        unit: '×',
        pass: null,
        note: `inconclusive: Portkey sustained none of the rates tried; ${name} sustained ${maxOf(name) ?? 0}/s`,
      });
      return;
    }
    const ratio = ratioOf(name, 'portkey');
    add(
      `${name}_max_rate_vs_portkey`,
      `${name}: highest sustained rate ≥ ${factor}× Portkey's (${maxOf(name) ?? '–'}/s vs ${portkeyMax ?? '–'}/s)`,
      ratio,
      ratio !== null && ratio >= factor,
      '×',
    );
  };
  versusPortkey('tollgate-sqlite', 3);
  // No target of its own: the issue asks for the 2-worker rate to be reported next to Portkey's.
  const twoWorkers = ratioOf('tollgate-sqlite-2w', 'portkey');
  if (scenario('tollgate-sqlite-2w'))
    targets.push({
      id: 'sqlite_2w_max_rate_vs_portkey',
      target: `tollgate-sqlite-2w (2 workers, unpinned): highest sustained rate next to Portkey's (one pinned core)`,
      measured: twoWorkers,
      unit: '×',
      pass: null,
      note: `reported, no target: ${maxOf('tollgate-sqlite-2w') ?? '–'}/s vs ${portkeyMax ?? '–'}/s${twoWorkers === null ? '' : ` (${twoWorkers}×)`}`,
    });
  const floorShare = ratioOf('tollgate-sqlite', 'framework-floor');
  add(
    'sqlite_max_rate_vs_framework_floor',
    `tollgate-sqlite: highest sustained rate ≥ 60% of the framework floor's (${maxOf('tollgate-sqlite') ?? '–'}/s vs ${maxOf('framework-floor') ?? '–'}/s)`,
    floorShare,
    floorShare !== null && floorShare >= 0.6,
    '×',
  );
  const sqliteOver500 = within(overhead('tollgate-sqlite', 500), overhead('framework-floor', 500));
  add(
    'sqlite_overhead_p50_500_vs_framework_floor',
    "tollgate-sqlite @500/s: overhead p50 within 1 ms of the framework floor's",
    sqliteOver500,
    sqliteOver500 <= 1,
  );

  // PostgreSQL.
  versusPortkey('tollgate-postgres', 2);
  const pgOver200 = within(overhead('tollgate-postgres', 200), overhead('tollgate-sqlite', 200));
  add(
    'postgres_overhead_p50_200_vs_sqlite',
    "tollgate-postgres @200/s: overhead p50 within 0.5 ms of SQLite's",
    pgOver200,
    pgOver200 <= 0.5,
  );

  // Streaming: the first stream rate measured.
  const firstStream = (name) => rows.filter((row) => row.name === name && row.mode === 'stream').sort((a, b) => a.rate - b.rate)[0];
  for (const name of ['tollgate-sqlite', 'tollgate-postgres']) {
    const stream = firstStream(name);
    const beyond = within(stream?.overhead_ttfb_p50_ms, firstStream('framework-floor')?.overhead_ttfb_p50_ms);
    add(
      `${name}_stream_ttfb_vs_framework_floor`,
      `${name}: streaming TTFB overhead p50 within 1 ms of the framework floor's${stream ? ` (@${stream.rate}/s)` : ''}`,
      beyond,
      beyond <= 1,
    );
  }

  // Memory while sustaining 200 req/s.
  for (const name of ['tollgate-sqlite', 'tollgate-postgres']) {
    const row = find(name, 'json', 200);
    const rss = row?.sustained ? row.rss_mb : null;
    add(`${name}_rss_200`, `${name}: RSS ≤ 150 MB while sustaining 200 req/s`, rss, rss <= 150, 'MB');
  }
  return targets;
}

// ─── output ──────────────────────────────────────────────────────────────────────────────────────

function table(headers, lines) {
  const widths = headers.map((header, i) => Math.max(header.length, ...lines.map((line) => String(line[i]).length)));
  const render = (cells) => cells.map((cell, i) => (i < 2 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
  return [render(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

function printReport(report) {
  const { machine, results: rows, scenarios, targets } = report;
  console.log('');
  console.log(
    `Tollgate benchmark (${report.kind}, ${report.settings.repeats} repeat(s), medians) — ${machine.cpu_model}, ${machine.cores} cores, Node ${machine.node}`,
  );
  console.log(`Pinning: ${machine.pinning}`);
  console.log(`Tollgate logs: ${report.settings.tollgate_logs}`);
  console.log('');
  const json = rows.filter((row) => row.mode === 'json');
  console.log(
    table(
      [
        'scenario',
        'mode',
        'rate/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'done/s',
        'errors',
        'RSS MB',
        'ovh p50',
        'ovh p99',
        'cpu µs/req',
        'other cpu%',
      ],
      json.map((r) => [
        r.name,
        r.mode,
        r.rate,
        fmt(r.p50_ms),
        fmt(r.p90_ms),
        fmt(r.p99_ms),
        fmt(r.achieved_rps, 0),
        r.errors,
        fmt(r.rss_mb, 0),
        fmt(r.overhead_p50_ms),
        fmt(r.overhead_p99_ms),
        r.cpu_us_per_req ?? '–',
        fmt(r.other_cpu_pct, 0),
      ]),
    ),
  );
  const stream = rows.filter((row) => row.mode === 'stream');
  if (stream.length) {
    console.log('');
    console.log(
      table(
        [
          'scenario',
          'mode',
          'rate/s',
          'TTFB p50',
          'TTFB p99',
          'ovh TTFB p50',
          'ovh TTFB p99',
          'gap mean ms',
          'ovh gap',
          'total p50',
          'total p99',
          'errors',
          'RSS MB',
        ],
        stream.map((r) => [
          r.name,
          r.mode,
          r.rate,
          fmt(r.ttfb_p50_ms),
          fmt(r.ttfb_p99_ms),
          fmt(r.overhead_ttfb_p50_ms),
          fmt(r.overhead_ttfb_p99_ms),
          fmt(r.interchunk_mean_ms, 3),
          fmt(r.overhead_interchunk_mean_ms, 3),
          fmt(r.p50_ms),
          fmt(r.p99_ms),
          r.errors,
          fmt(r.rss_mb, 0),
        ]),
      ),
    );
  }
  console.log('');
  console.log(
    table(
      ['scenario', 'status', 'max sustained/s', 'first failing/s', 'RSS MB sustained', 'peak RSS MB', 'incl. search'],
      scenarios.map((s) => [
        s.name,
        s.status === 'ok' ? 'ok' : `skipped: ${s.reason.split('\n')[0].slice(0, 100)}`,
        s.max_sustained_rps ?? '–',
        s.first_unsustained_rps ?? '–',
        fmt(s.rss_at_sustained_mb, 0),
        fmt(s.peak_rss_mb, 0),
        fmt(s.peak_rss_with_overload_mb, 0),
      ]),
    ),
  );
  if (targets.length) {
    console.log('');
    for (const t of targets)
      console.log(
        `${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.note ?? (t.measured === null ? 'not measured' : `${t.measured} ${t.unit}`)}`,
      );
  }
  const disturbed = rows.filter((row) => row.other_cpu_pct > 15 && row.name !== 'tollgate-postgres');
  if (disturbed.length) {
    console.log('');
    console.log(
      `Note: other processes used > 15% of a core during ${disturbed.length} run(s) (column "other cpu%"); those numbers are noisier.`,
    );
  }
}

// ─── main ────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(readFileSync(__filename, 'utf8').split('*/')[0]);
    return 0;
  }
  const deps = ensureBenchDependencies();
  ensureGatewayBuilt();
  const machine = describeMachine();
  // What the rest of the machine is doing before we start: other work on these 2 cores is the
  // biggest source of noise, so it is measured and reported rather than guessed at.
  const busyBefore = machineBusyS();
  await sleep(1000);
  machine.busy_cores_before_start = round(machineBusyS() - busyBefore, 2);
  if (machine.busy_cores_before_start > 0.1) {
    console.warn(
      `Warning: the machine is already busy (${machine.busy_cores_before_start} cores in use before the benchmark started); expect noisy numbers.`,
    );
  }
  pinningEnabled = machine.pinned;
  measure.waitIdleS = options.waitIdleS;
  measure.drainMs = options.drainMs;
  if (!pinningEnabled) console.warn(`Warning: no CPU pinning (${machine.pinning}); results will be noisier.`);
  mkdirSync(RESULTS_DIR, { recursive: true });

  const context = { options, cleanups: new Set(), depsProblem: deps.ok ? undefined : deps.reason, repeat: 0 };
  const postgresPinning =
    pinningEnabled && options.pinPostgres && options.scenarios.includes('tollgate-postgres')
      ? pinPostgres(LOAD_CPU)
      : { pinned: 0, restore() {} };
  machine.postgres_processes_pinned = postgresPinning.pinned;
  if (postgresPinning.pinned === 0) machine.pinning = machine.pinning.replace(/; PostgreSQL .*$/, '; PostgreSQL unpinned');
  const cleanUp = async () => {
    for (const cleanup of context.cleanups) await cleanup();
    killAllChildren();
    postgresPinning.restore();
  };
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanUp().finally(() => process.exit(143)));

  const builtAt = gatewayBuiltAt();
  const started = Date.now();
  const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
  context.fake = await startService({ name: 'fake-upstream', cpu: LOAD_CPU, args: [path.join(BENCH_DIR, 'fake-upstream.js'), '0'] });
  log(
    `fake upstream on ${context.fake.url} (CPU ${LOAD_CPU}); ${machine.cpu_model}, ${machine.cores} cores; load average ${machine.load_average_at_start.join(' ')}`,
  );

  const runs = [];
  const scenarioState = new Map(
    options.scenarios.map((name) => [
      name,
      { name, description: SCENARIO_LABELS[name], status: 'ok', reason: undefined, searches: [], peakRss: [], peakRssOverload: [] },
    ]),
  );
  try {
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      context.repeat = repeat;
      for (const name of options.scenarios) {
        const state = scenarioState.get(name);
        if (state.status === 'skipped') continue;
        let target;
        try {
          target = await startTarget(name, context);
        } catch (error) {
          if (!(error instanceof SkipScenario) && name !== 'portkey') throw error;
          state.status = 'skipped';
          state.reason = error.message;
          log(`${name}: skipped — ${error.message.split('\n')[0]}`);
          continue;
        }
        log(`${name} (repeat ${repeat}/${options.repeats}) up on ${target.url}, pid ${target.pid}`);
        try {
          // Warm-up before anything is recorded: JIT, connection pools, database caches.
          if (options.warmupS > 0) {
            await measure(target, 'json', 200, Math.max(1, options.warmupS), 0);
            if (options.streamRates.length && options.kind === 'full') await measure(target, 'stream', 50, 1, 0);
          }
          const fixed = [];
          for (const [mode, rates] of ratesFor(name, options)) {
            for (const rate of rates) {
              const row = await measure(target, mode, rate, options.durationS, options.warmupS);
              Object.assign(row, { name, mode, rate, repeat });
              runs.push(row);
              if (mode === 'json') fixed.push(row);
              const streamPart =
                mode === 'stream' ? `, TTFB p50 ${fmt(row.ttfb_p50_ms)} ms, gap mean ${fmt(row.interchunk_mean_ms, 3)} ms` : '';
              log(
                `  ${name} ${mode} ${rate}/s: p50 ${fmt(row.p50_ms)} p90 ${fmt(row.p90_ms)} p99 ${fmt(row.p99_ms)} ms, ${fmt(row.achieved_rps, 0)}/s done, ${row.errors} errors${streamPart}, ${row.cpu_us_per_req} µs CPU/req, other CPU ${row.other_cpu_pct}%` +
                  (row.errors ? ` ${JSON.stringify(row.error_kinds)}` : ''),
              );
              if (!sustains(row)) await sleep(options.settleMs);
            }
          }
          // Peak RSS under the fixed rates; the search below overloads on purpose and is reported apart.
          state.peakRss.push(targetPeakRssMb(target));
          if (options.search && fixed.length && (name !== 'direct' || options.searchDirect)) {
            const search = await findMaxRate(target, fixed, options, log);
            state.searches.push(search);
            log(`  ${name}: highest sustained rate ${search.max_sustained_rps}/s`);
          }
          state.peakRssOverload.push(targetPeakRssMb(target));
        } catch (error) {
          // Portkey is a point of comparison: its failing must not take the rest of the run down.
          if (name !== 'portkey') throw error;
          state.status = 'skipped';
          state.reason = `failed during the run: ${error.message}\n${target.output().slice(-2000)}`;
          log(`${name}: ${state.reason.split('\n')[0]}`);
        } finally {
          await target.stop();
        }
      }
    }
  } finally {
    await context.fake.stop();
    await cleanUp();
  }

  if (gatewayBuiltAt() !== builtAt) {
    console.warn(`Warning: dist/ was rebuilt during the run (${builtAt} → ${gatewayBuiltAt()}); Tollgate's numbers mix two builds.`);
  }
  const rows = aggregate(runs);
  const scenarios = [...scenarioState.values()].map((state) => ({
    name: state.name,
    description: state.description,
    status: state.status,
    ...(state.reason ? { reason: state.reason } : {}),
    max_sustained_rps: state.searches.length ? median(state.searches.map((s) => s.max_sustained_rps)) : null,
    first_unsustained_rps: state.searches.length ? median(state.searches.map((s) => s.first_unsustained_rps)) : null,
    // Resident memory after the highest fixed JSON rate it sustained (or the lowest rate, if none):
    // what it needs under load it can carry, as opposed to while a backlog piles up.
    rss_at_sustained_mb: rssAtSustained(rows, state.name),
    peak_rss_mb: maxOrNull(state.peakRss),
    peak_rss_with_overload_mb: maxOrNull(state.peakRssOverload),
    searches: state.searches,
  }));
  const report = {
    generated_at: new Date().toISOString(),
    kind: options.kind,
    duration_s: Math.round((Date.now() - started) / 1000),
    machine,
    settings: {
      repeats: options.repeats,
      duration_s: options.durationS,
      warmup_s: options.warmupS,
      json_rates: options.jsonRates,
      stream_rates: options.streamRates,
      stream_chunks: 50,
      tollgate_logs: options.jsonLogs ? 'json, with the access log' : 'text, no access log',
      sustained_means: `errors = 0, delivered ≥ ${SUSTAIN_DELIVERED * 100}% of offered, p50 ≤ ${SUSTAIN_P50_MS} ms`,
      search: options.search
        ? {
            duration_s: options.searchDurationS,
            warmup_s: options.searchWarmupS,
            factor: options.searchFactor,
            bisections: options.searchBisections,
          }
        : null,
      latency_from: 'scheduled send time (open loop)',
    },
    versions: {
      tollgate: JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version,
      tollgate_built_at: builtAt,
      tollgate_rebuilt_during_run: gatewayBuiltAt() !== builtAt,
      portkey_gateway: safeVersion(path.join(BENCH_DIR, 'node_modules', '@portkey-ai', 'gateway', 'package.json')),
      hono_node_server: safeVersion(path.join(BENCH_DIR, 'node_modules', '@hono', 'node-server', 'package.json')),
      undici: safeVersion(require.resolve('undici/package.json', { paths: [BENCH_DIR] })),
    },
    results: rows,
    scenarios,
    targets: options.kind === 'smoke' ? [] : evaluateTargets(rows, scenarios),
    runs,
  };

  if (options.kind === 'smoke') {
    writeFileSync(path.join(RESULTS_DIR, 'smoke.json'), `${JSON.stringify(report, null, 2)}\n`);
    const smoke = runs.filter((run) => run.name === 'tollgate-sqlite');
    const skipped = scenarios.find((s) => s.status !== 'ok');
    const failures = smoke.filter((run) => run.errors > 0 || run.ok !== run.sent);
    if (skipped || smoke.length === 0 || failures.length > 0) {
      console.error(
        `bench smoke: FAILED — ${skipped ? skipped.reason : failures.map((run) => `${run.errors} errors ${JSON.stringify(run.error_kinds)}, ${run.ok}/${run.sent} ok`).join('; ') || 'no run'}`,
      );
      return 1;
    }
    const run = smoke[0];
    console.log(
      `bench smoke: ok — Tollgate on SQLite, ${run.rate} req/s for ${run.duration_s} s: ${run.ok}/${run.sent} answered, 0 errors, p50 ${fmt(run.p50_ms)} ms, p99 ${fmt(run.p99_ms)} ms`,
    );
    return 0;
  }

  const output = path.join(RESULTS_DIR, 'latest.json');
  writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
  printReport(report);
  console.log('');
  console.log(`Wrote ${path.relative(process.cwd(), output) || output} (${report.duration_s} s).`);
  return 0;
}

function rssAtSustained(rows, name) {
  const json = rows.filter((row) => row.name === name && row.mode === 'json').sort((a, b) => a.rate - b.rate);
  const held = json.filter((row) => row.sustained);
  return (held.length ? held[held.length - 1] : json[0])?.rss_mb ?? null;
}

function maxOrNull(values) {
  const present = values.filter((v) => v !== null && v !== undefined);
  return present.length ? Math.max(...present) : null;
}

function safeVersion(packageJson) {
  try {
    return JSON.parse(readFileSync(packageJson, 'utf8')).version;
  } catch {
    return null;
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error) => {
    console.error(`bench failed: ${error.stack ?? error}`);
    killAllChildren();
    process.exit(1);
  });
