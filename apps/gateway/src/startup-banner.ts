import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { GatewayConfig } from './config/gateway-config';

/**
 * What an operator needs to know once the gateway is up, in a few lines: which version, where it
 * listens, on which database, in how many worker processes, how many deployments, and where the API docs and the dashboard are.
 * The database is named by its driver only: a PostgreSQL URL may hold a password.
 */
export function startupBanner(
  config: GatewayConfig,
  address: { host: string; port: number; workers?: number },
  version = gatewayVersion(),
): string {
  const base = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const aliases = new Set(config.deployments.map((deployment) => deployment.alias)).size;
  const database = config.database.type === 'sqlite' ? `sqlite (${config.database.path})` : 'postgres';
  const lines = [`Tollgate ${version} listening on ${base}`, `  database     ${database}`];
  const workers = address.workers ?? 1;
  if (workers > 1) {
    // Without Redis each worker counts rate limits on its own share of the traffic.
    const rateLimits = config.redisUrl ? 'rate limits shared in Redis' : 'rate limits counted per worker (set REDIS_URL to share them)';
    lines.push(`  workers      ${workers} processes on one port; ${rateLimits}`);
  }
  return [
    ...lines,
    `  deployments  ${config.deployments.length} (${aliases} model ${aliases === 1 ? 'alias' : 'aliases'})`,
    `  API docs     ${config.docsEnabled ? `${base}/docs` : 'off (NO_DOCS)'}`,
    `  dashboard    ${base}/ui`,
  ].join('\n');
}

/** The version in the package.json above this file, from the sources and from dist/ alike. */
function gatewayVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'tollgate') return manifest.version ?? 'unknown';
  }
  return 'unknown';
}
