import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { setUpAdminDocs } from './admin-docs';
import { AppModule } from './app.module';
import { accessLog } from './common/access-log';
import { jsonBodyParser } from './common/body-parsing';
import { assignRequestId } from './common/request-id';
import type { GatewayConfig } from './config/gateway-config';
import { GatewayLogger, gatewayLogLevels } from './gateway-logger';
import { OTLP_PREFIX, otlpBodyParser } from './otlp/otlp-http';

/**
 * Builds the gateway app from a validated config; main.ts and the end-to-end tests both use it.
 * `logLevels` defaults to what the config asks for; a caller with other needs (a test) passes its own.
 */
export async function createGateway(
  config: GatewayConfig,
  logLevels: LogLevel[] = gatewayLogLevels(config.debugLogs),
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    logger: new GatewayLogger(logLevels, config.jsonLogs),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  // One hop: req.ip is the address our own proxy saw, the last X-Forwarded-For entry. Entries a
  // client wrote itself come before it and are ignored.
  app.set('trust proxy', config.trustForwardedFor ? 1 : false);
  app.use(assignRequestId);
  if (config.accessLog) app.use(accessLog(config.jsonLogs));
  // OTLP exports are protobuf or JSON, possibly gzipped: read raw, before the JSON parser.
  app.use(OTLP_PREFIX, otlpBodyParser());
  app.use(jsonBodyParser(config.maxRequestBytes));
  if (config.docsEnabled) setUpAdminDocs(app);
  return app;
}
