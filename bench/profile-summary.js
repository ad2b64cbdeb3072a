'use strict';
/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --cpu-prof`) and prints
 * where the time went: self time per function (file:line), and per package / source folder.
 *
 * Usage: node bench/profile-summary.js <file.cpuprofile> [top=30] [--callers=<function name>]
 *   --callers: for functions of that name, the call paths (4 frames up) that their self time came from.
 * Also prints inclusive time of the gateway's own functions (dist/…): the time spent in them and in
 * everything they called synchronously (async continuations count where they resume).
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');

function location(callFrame) {
  const url = callFrame.url.replace(/^file:\/\//, '');
  if (!url) return '';
  return url.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, url) : url;
}

/** node_modules/<package>, dist/<folder>, node:<module>, or a V8 pseudo-frame such as (garbage collector). */
function bucket(callFrame) {
  const where = location(callFrame);
  if (!where)
    return ['(garbage collector)', '(program)', '(idle)'].includes(callFrame.functionName)
      ? callFrame.functionName
      : '(native: syscalls, V8 builtins)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (modules) return modules[1];
  if (where.startsWith('wasm://')) return '(wasm: undici llhttp parser)';
  if (where.startsWith('node:')) return 'node (core)';
  const dist = /^dist\/(apps\/[^/]+\/src\/[^/]+|libs\/[^/]+)/.exec(where);
  return dist ? dist[1] : where;
}

function frameLabel(callFrame) {
  const where = location(callFrame);
  return `${callFrame.functionName || '(anonymous)'}${where ? ` ${where}:${callFrame.lineNumber + 1}` : ''}`;
}

function summarize(file, top, callersOf) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const callPaths = new Map();
  const inclusive = new Map();
  const byFunction = new Map();
  const byBucket = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const { callFrame } = nodes.get(profile.samples[i]);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const name = `${callFrame.functionName || '(anonymous)'}  ${location(callFrame)}${location(callFrame) ? `:${callFrame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const group = bucket(callFrame);
    byBucket.set(group, (byBucket.get(group) ?? 0) + ms);
    // Inclusive: every distinct gateway function on this sample's stack gets the sample once.
    const seen = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = parents.get(id)) {
      const frame = nodes.get(id).callFrame;
      if (!location(frame).startsWith('dist/')) continue;
      const label = frameLabel(frame);
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + ms);
    }
    if (callersOf && callFrame.functionName === callersOf) {
      const chain = [];
      for (let id = parents.get(profile.samples[i]); id !== undefined && chain.length < 4; id = parents.get(id))
        chain.push(frameLabel(nodes.get(id).callFrame));
      const key = chain.join('  ←  ');
      callPaths.set(key, (callPaths.get(key) ?? 0) + ms);
    }
  }
  const idle = byFunction.get('(idle)  ') ?? 0;
  const busy = total - idle;
  const line = (ms, label) => `${ms.toFixed(0).padStart(7)} ms ${((ms / busy) * 100).toFixed(1).padStart(5)}%  ${label}`;
  const sorted = (map) => [...map.entries()].filter(([label]) => label !== '(idle)  ' && label !== '(idle)').sort((a, b) => b[1] - a[1]);
  console.log(`${path.basename(file)}: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy (percentages are of busy time)`);
  console.log('\nBy package / folder (self time):');
  for (const [label, ms] of sorted(byBucket).slice(0, 15)) console.log(line(ms, label));
  console.log(`\nTop ${top} functions (self time):`);
  for (const [label, ms] of sorted(byFunction).slice(0, top)) console.log(line(ms, label));
  if (inclusive.size) {
    console.log(`\nGateway functions by inclusive time (top ${top}):`);
    for (const [label, ms] of sorted(inclusive).slice(0, top)) console.log(line(ms, label));
  }
  if (callersOf) {
    console.log(`\nWhere ${callersOf} was called from (self time of ${callersOf}):`);
    for (const [label, ms] of sorted(callPaths).slice(0, 10)) console.log(line(ms, label));
  }
}

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const callers = process.argv
  .slice(2)
  .find((arg) => arg.startsWith('--callers='))
  ?.slice('--callers='.length);
if (positional.length < 1) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top] [--callers=<function name>]');
  process.exit(2);
}
summarize(positional[0], Number(positional[1] ?? 30), callers);
