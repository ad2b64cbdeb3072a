import type { Server, ServerResponse } from 'node:http';

import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests (streams included) finish
 * for up to `graceMs`, then cut what is left and close pools and the database.
 */
export function installGracefulShutdown(app: NestExpressApplication, graceMs: number, logger: LoggerService): void {
  let shuttingDown = false;
  const server = app.getHttpServer() as Server;
  // A keep-alive connection whose request finishes during the drain would otherwise hold
  // server.close() open until its idle timeout: close it the moment it goes idle.
  server.on('request', (_request, response: ServerResponse) => {
    response.once('finish', () => {
      if (shuttingDown) setImmediate(() => server.closeIdleConnections());
    });
  });
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log(`${signal} received: draining in-flight requests (up to ${graceMs} ms)`);
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    await drained;
    clearTimeout(timer);
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
