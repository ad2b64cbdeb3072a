import 'reflect-metadata';

import cluster from 'node:cluster';
import { existsSync } from 'node:fs';

import { Logger } from '@nestjs/common';

import { parseCliOptions, USAGE } from './config/cli-options';
import { ConfigError } from './config/config.errors';
import { GatewayLogger, gatewayLogLevels } from './gateway-logger';
import { aggregateWorkerScrapes } from './metrics/cluster-metrics-primary';
import { superviseWorkers } from './worker-supervisor';

const logger = new Logger('Tollgate');

async function main(): Promise<void> {
  const options = parseCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (options.envFile) {
    if (!existsSync(options.envFile)) throw new ConfigError([`--env-file: ${options.envFile} does not exist`]);
    process.loadEnvFile(options.envFile);
  } else if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
  if (options.numWorkers > 1 && cluster.isPrimary) {
    // The primary loads no config: its few lines follow the command line and the environment.
    Logger.overrideLogger(new GatewayLogger(gatewayLogLevels(false), wantsJsonLogs()));
    aggregateWorkerScrapes();
    process.exitCode = await superviseWorkers(options.numWorkers, logger);
    return;
  }
  // Loaded here, not at import: the primary of --num_workers never loads a config or builds an app.
  const { serveGateway } = await import('./serve-gateway');
  await serveGateway(options, logger);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `Tollgate failed to start: ${(error as Error)?.message ?? String(error)}`;
  if (wantsJsonLogs()) console.error(JSON.stringify({ level: 'fatal', time: new Date().toISOString(), message }));
  else console.error(message);
  process.exit(1);
});

function wantsJsonLogs(): boolean {
  return (
    process.argv.includes('--json-logs') || process.argv.includes('--json_logs') || /^true$/i.test(process.env.JSON_LOGS?.trim() ?? '')
  );
}
