'use strict';
/**
 * The framework floor: a bare NestJS 11 app on @nestjs/platform-express with one controller that
 * relays the parsed body to the upstream with undici and pipes the answer back — no guard, no
 * interceptor, no database. What Tollgate adds above this is the gateway's own work; what this adds
 * above the raw-Node floor is the framework's.
 *
 * Usage: node bench/nest-floor.js <upstream origin> [port]   Prints `{"port":N}` once listening.
 */
require('reflect-metadata');
const { Body, Controller, Module, Post, Res } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Pool } = require('undici');

const upstream = new Pool(process.argv[2], { connections: 256, keepAliveTimeout: 60_000 });

class RelayController {
  async relay(body, res) {
    try {
      const answer = await upstream.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify(body),
      });
      res.status(answer.statusCode).set('content-type', answer.headers['content-type'] ?? 'application/json');
      answer.body.pipe(res);
    } catch (error) {
      res.status(502).json({ error: { message: error.message, type: 'upstream_error' } });
    }
  }
}
// Plain JavaScript, so the decorators are applied by hand: what `@Controller('v1')`, `@Post(...)`,
// `@Body()` and `@Res()` would do in TypeScript.
Body()(RelayController.prototype, 'relay', 0);
Res()(RelayController.prototype, 'relay', 1);
Post('chat/completions')(RelayController.prototype, 'relay', Object.getOwnPropertyDescriptor(RelayController.prototype, 'relay'));
Controller('v1')(RelayController);
Reflect.defineMetadata('design:paramtypes', [Object, Object], RelayController.prototype, 'relay');

class FloorModule {}
Module({ controllers: [RelayController] })(FloorModule);

async function main() {
  const app = await NestFactory.create(FloorModule, { logger: false });
  const server = app.getHttpServer();
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 120_000;
  server.requestTimeout = 0;
  await app.listen(Number(process.argv[3] ?? 0), '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
