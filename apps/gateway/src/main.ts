import 'reflect-metadata';

import cluster from 'node:cluster';
import { existsSync } from 'node:fs';

import { Logger } from '@nestjs/common';

import { type CliOptions, parseCliOptions, USAGE } from './config/cli-options';
import { ConfigError } from './config/config.errors';
import { loadLiteLLMConfig } from './config/litellm-config.loader';
import { installGracefulShutdown } from './graceful-shutdown';
import { startupBanner } from './startup-banner';
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
    process.exitCode = await superviseWorkers(options.numWorkers, logger);
    return;
  }
  await serveGateway(options);
}

/** One gateway process: the whole gateway, or one worker of `--num_workers`. */
async function serveGateway(options: CliOptions): Promise<void> {
  const { config, ignoredKeys, missingEnv, warnings } = loadLiteLLMConfig(options.configPath);
  // Every worker would say the same: the first one speaks for all.
  const speaks = !cluster.isWorker || cluster.worker?.id === 1;
  if (speaks) {
    if (ignoredKeys.length > 0) logger.warn(`Ignoring config keys Tollgate does not use: ${ignoredKeys.join(', ')}`);
    if (missingEnv.length > 0) logger.warn(`Environment variables referenced by the config are not set: ${missingEnv.join(', ')}`);
    for (const warning of warnings) logger.warn(warning);
  }

  // Loaded here, not at import: the primary of --num_workers never builds an app.
  const { createGateway } = await import('./gateway.factory');
  const app = await createGateway(config);
  await app.listen(options.port, options.host);
  installGracefulShutdown(app, config.shutdownGraceMs, logger);
  if (speaks) logger.log(startupBanner(config, { host: options.host, port: options.port, workers: options.numWorkers }));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error(`Tollgate failed to start: ${(error as Error)?.message ?? String(error)}`);
  }
  process.exit(1);
});
