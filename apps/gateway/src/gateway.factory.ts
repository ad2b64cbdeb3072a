import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { jsonBodyParser } from './common/body-parsing';
import { assignRequestId } from './common/request-id';
import type { GatewayConfig } from './config/gateway-config';
import { setUpAdminDocs } from './admin-docs';
import { OTLP_PREFIX, otlpBodyParser } from './otlp/otlp-http';

/** Builds the gateway app from a validated config; main.ts and the end-to-end tests both use it. */
export async function createGateway(config: GatewayConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    // Under jest only problems are worth printing.
    logger: process.env.JEST_WORKER_ID ? ['error', 'warn'] : ['error', 'warn', 'log'],
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  // One hop: req.ip is the address our own proxy saw, the last X-Forwarded-For entry. Entries a
  // client wrote itself come before it and are ignored.
  app.set('trust proxy', config.trustForwardedFor ? 1 : false);
  app.use(assignRequestId);
  // OTLP exports are protobuf or JSON, possibly gzipped: read raw, before the JSON parser.
  app.use(OTLP_PREFIX, otlpBodyParser());
  app.use(jsonBodyParser(config.maxRequestBytes));
  if (config.docsEnabled) setUpAdminDocs(app);
  return app;
}

