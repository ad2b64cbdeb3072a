import cluster from 'node:cluster';

import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { GatewayMetrics } from '@tollgate/metrics';

import {
  type CollectAnswer,
  type CollectRequest,
  isMessage,
  SCRAPE_ANSWER_TIMEOUT_MS,
  type ScrapeAnswer,
  type ScrapeRequest,
} from './cluster-scrape-protocol';
import { MetricsUnavailableError } from './metrics.errors';

/**
 * What GET /metrics answers. One process: its own metrics, as they are. A worker of --num_workers:
 * the whole gateway's — every worker's per-process metrics aggregated by the primary
 * (cluster-metrics-primary.ts), then the budget gauges, read once by this worker from the shared
 * database. A worker also answers the primary's requests for its own metrics.
 */
@Injectable()
export class MetricsExposition implements OnModuleInit, OnApplicationShutdown {
  private readonly waiting = new Map<number, (exposition: string | null) => void>();
  private nextRequestId = 0;

  constructor(private readonly metrics: GatewayMetrics) {}

  onModuleInit(): void {
    if (cluster.isWorker) process.on('message', this.onPrimaryMessage);
  }

  onApplicationShutdown(): void {
    process.off('message', this.onPrimaryMessage);
    for (const answer of this.waiting.values()) answer(null);
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  async exposition(): Promise<string> {
    if (!cluster.isWorker) return this.metrics.exposition();
    const [perProcess, shared] = await Promise.all([this.askPrimary(), this.metrics.sharedExposition()]);
    return perProcess + shared;
  }

  private askPrimary(): Promise<string> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const answer = (exposition: string | null) => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
        if (exposition === null) reject(new MetricsUnavailableError('The other workers’ metrics could not be gathered; try again'));
        else resolve(exposition);
      };
      const timer = setTimeout(() => answer(null), SCRAPE_ANSWER_TIMEOUT_MS);
      this.waiting.set(requestId, answer);
      const request: ScrapeRequest = { type: 'tollgate:metrics-scrape', requestId };
      process.send!(request, undefined, undefined, (error: Error | null) => error && answer(null));
    });
  }

  private readonly onPrimaryMessage = (message: unknown): void => {
    if (isMessage<ScrapeAnswer>(message, 'tollgate:metrics-scrape-answer')) {
      this.waiting.get(message.requestId)?.(message.exposition);
    } else if (isMessage<CollectRequest>(message, 'tollgate:metrics-collect')) {
      void this.metrics
        .perProcessMetrics()
        .catch(() => null)
        .then((metrics) => {
          const answer: CollectAnswer = { type: 'tollgate:metrics-collected', collectId: message.collectId, metrics };
          // The channel closes as the worker exits; the primary then uses its last answer.
          if (process.connected) process.send!(answer, undefined, undefined, () => undefined);
        });
    }
  };
}
