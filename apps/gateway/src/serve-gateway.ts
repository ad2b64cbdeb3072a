import cluster from 'node:cluster';

import { Logger, type LoggerService } from '@nestjs/common';

import type { CliOptions } from './config/cli-options';
import { loadLiteLLMConfig } from './config/litellm-config.loader';
import { createGateway } from './gateway.factory';
import { GatewayLogger, gatewayLogLevels } from './gateway-logger';
import { installGracefulShutdown } from './graceful-shutdown';
import { startupBanner } from './startup-banner';

/** One gateway process: the whole gateway, or one worker of `--num_workers`. */
export async function serveGateway(options: CliOptions, logger: LoggerService): Promise<void> {
  const { config, ignoredKeys, missingEnv, warnings } = loadLiteLLMConfig(options.configPath);
  if (options.jsonLogs) {
    config.jsonLogs = true;
    config.accessLog = config.accessLog || process.env.TOLLGATE_ACCESS_LOG === undefined;
  }
  // Start-up warnings are printed before the app (and its logger) exists: in the same format.
  Logger.overrideLogger(new GatewayLogger(gatewayLogLevels(config.debugLogs), config.jsonLogs));
  // Every worker would say the same: the first one speaks for all.
  const speaks = !cluster.isWorker || cluster.worker?.id === 1;
  if (speaks) {
    if (ignoredKeys.length > 0) logger.warn(`Ignoring config keys Tollgate does not use: ${ignoredKeys.join(', ')}`);
    if (missingEnv.length > 0) logger.warn(`Environment variables referenced by the config are not set: ${missingEnv.join(', ')}`);
    for (const warning of warnings) logger.warn(warning);
  }

  const app = await createGateway(config);
  await app.listen(options.port, options.host);
  installGracefulShutdown(app, config.shutdownGraceMs, logger);
  if (speaks) logger.log(startupBanner(config, { host: options.host, port: options.port, workers: options.numWorkers }));
}
