import 'reflect-metadata';

import { existsSync } from 'node:fs';

import { Logger } from '@nestjs/common';

import { parseCliOptions, USAGE } from './config/cli-options';
import { ConfigError } from './config/config.errors';
import { loadLiteLLMConfig } from './config/litellm-config.loader';
import { createGateway } from './gateway.factory';
import { GatewayLogger, gatewayLogLevels } from './gateway-logger';
import { installGracefulShutdown } from './graceful-shutdown';
import { startupBanner } from './startup-banner';

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
  const { config, ignoredKeys, missingEnv, warnings } = loadLiteLLMConfig(options.configPath);
  if (options.jsonLogs) {
    config.jsonLogs = true;
    config.accessLog = config.accessLog || process.env.TOLLGATE_ACCESS_LOG === undefined;
  }
  // Start-up warnings are printed before the app (and its logger) exists: in the same format.
  Logger.overrideLogger(new GatewayLogger(gatewayLogLevels(config.debugLogs), config.jsonLogs));
  if (ignoredKeys.length > 0) logger.warn(`Ignoring config keys Tollgate does not use: ${ignoredKeys.join(', ')}`);
  if (missingEnv.length > 0) logger.warn(`Environment variables referenced by the config are not set: ${missingEnv.join(', ')}`);
  for (const warning of warnings) logger.warn(warning);

  const app = await createGateway(config);
  await app.listen(options.port, options.host);
  installGracefulShutdown(app, config.shutdownGraceMs, logger);
  logger.log(startupBanner(config, { host: options.host, port: options.port }));
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
