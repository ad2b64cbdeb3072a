import cluster, { type Worker } from 'node:cluster';

import type { LoggerService } from '@nestjs/common';

/** A worker that served this long proved the config and the database fine: its next death restarts at the shortest delay. */
const STABLE_AFTER_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The primary of `--num_workers N`: forks N gateway processes that share the port (node:cluster
 * hands each accepted connection to one of them in turn) and keeps N running.
 *
 * Start-up is all or nothing. The first worker starts alone, so it alone runs the migrations; the
 * others follow once it listens and find nothing to migrate. A worker that exits before listening
 * during start-up (a bad config, an unreachable database) stops the whole gateway with exit code 1,
 * once, instead of a restart loop that prints the same error forever.
 *
 * Once up, a worker that dies is replaced after a delay that doubles with each quick death
 * (0.5 s up to 30 s). SIGTERM/SIGINT are passed to every worker, which drains its own requests
 * (graceful-shutdown.ts); the primary exits when the last one has, non-zero if any of them failed.
 * Resolves with the process's exit code.
 */
export function superviseWorkers(count: number, logger: LoggerService): Promise<number> {
  return new Promise((resolveExitCode) => {
    const startedAt = new Map<Worker, number>();
    const restartTimers = new Set<NodeJS.Timeout>();
    let starting = true;
    let shuttingDown = false;
    let quickDeaths = 0;
    let exitCode = 0;

    const fork = (): Worker => {
      const worker = cluster.fork();
      worker.once('listening', () => {
        startedAt.set(worker, Date.now());
        logger.log(`worker ${worker.id} (pid ${worker.process.pid}) listening`);
      });
      return worker;
    };

    const stopAll = (signal: NodeJS.Signals) => {
      shuttingDown = true;
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      if (Object.keys(cluster.workers ?? {}).length === 0) resolveExitCode(exitCode);
    };

    cluster.on('exit', (worker, code, signal) => {
      const listenedAt = startedAt.get(worker);
      startedAt.delete(worker);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (shuttingDown) {
        if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') exitCode = 1;
        if (Object.keys(cluster.workers ?? {}).length === 0) resolveExitCode(exitCode);
        return;
      }
      if (starting || listenedAt === undefined) {
        if (starting) {
          logger.error(`worker ${worker.id} (pid ${worker.process.pid}) exited with ${how} before it listened: Tollgate cannot start`);
          exitCode = 1;
          stopAll('SIGTERM');
          return;
        }
        quickDeaths++;
      } else {
        quickDeaths = Date.now() - listenedAt < STABLE_AFTER_MS ? quickDeaths + 1 : 0;
      }
      const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, quickDeaths - 1));
      logger.warn(`worker ${worker.id} (pid ${worker.process.pid}) exited with ${how}; starting a replacement in ${delay} ms`);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        fork();
      }, delay);
      restartTimers.add(timer);
    });

    process.once('SIGTERM', () => stopAll('SIGTERM'));
    process.once('SIGINT', () => stopAll('SIGTERM'));

    logger.log(`starting ${count} workers`);
    fork().once('listening', () => {
      if (shuttingDown) return;
      const rest = Array.from({ length: count - 1 }, () => fork());
      let listening = 0;
      for (const worker of rest) {
        worker.once('listening', () => {
          if (++listening === rest.length) starting = false;
        });
      }
    });
  });
}
