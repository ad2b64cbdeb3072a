import cluster, { type Worker } from 'node:cluster';

import type { MetricsJson } from '@tollgate/metrics';

import {
  COLLECT_TIMEOUT_MS,
  type CollectAnswer,
  type CollectRequest,
  isMessage,
  type ScrapeAnswer,
  type ScrapeRequest,
} from './cluster-scrape-protocol';

/**
 * The primary's part of a scrape under --num_workers: asked by the worker that received
 * GET /metrics, it collects every listening worker's per-process metrics and answers with their
 * aggregate, each metric combined by its prom-client `aggregator` (counters and histograms summed).
 *
 * Counters must never go down while the gateway runs, or Prometheus reads a reset and `rate()`
 * shows a spike of the whole total. So a worker that does not answer within COLLECT_TIMEOUT_MS
 * (stopped, busy, restarting) is shown by the counters of its last answer, and a worker that
 * exits leaves its last counters in every later scrape, as the Prometheus Python client's
 * multiprocess mode (LiteLLM's) keeps the files of dead processes. Gauges come only from workers
 * that answered: a dead worker holds no memory and cools no deployment.
 */
export function aggregateWorkerScrapes(collectTimeoutMs = COLLECT_TIMEOUT_MS): void {
  const listening = new Set<Worker>();
  const lastAnswers = new Map<Worker, MetricsJson>();
  let exited: MetricsJson[] = [];
  const collecting = new Map<number, (worker: Worker, metrics: MetricsJson | null) => void>();
  let nextCollectId = 0;

  const collect = (workers: Worker[]): Promise<Map<Worker, MetricsJson>> => {
    const collectId = nextCollectId++;
    const answers = new Map<Worker, MetricsJson>();
    const waitingFor = new Set(workers);
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        collecting.delete(collectId);
        resolve(answers);
      };
      const timer = setTimeout(finish, collectTimeoutMs);
      const answered = (worker: Worker, metrics: MetricsJson | null) => {
        if (!waitingFor.delete(worker)) return;
        if (metrics) answers.set(worker, metrics);
        if (waitingFor.size === 0) finish();
      };
      collecting.set(collectId, answered);
      const request: CollectRequest = { type: 'tollgate:metrics-collect', collectId };
      for (const worker of workers) worker.send(request, (error: Error | null) => error && answered(worker, null));
      if (workers.length === 0) finish();
    });
  };

  const scrape = async (): Promise<string> => {
    // Loaded at the first scrape: a primary that is never scraped stays small (measured: 63 MB, then 64–66 MB once scraped).
    const { AggregatorRegistry } = await import('prom-client');
    const workers = [...listening].filter((worker) => worker.isConnected());
    const answers = await collect(workers);
    const parts: MetricsJson[] = [];
    let unanswered = 0;
    for (const worker of workers) {
      const fresh = answers.get(worker);
      if (fresh) {
        parts.push(fresh);
        continue;
      }
      unanswered++;
      const last = lastAnswers.get(worker);
      if (last) parts.push(monotonic(last));
    }
    if (exited.length > 1) exited = [await AggregatorRegistry.aggregate(exited).getMetricsAsJSON()];
    parts.push(...exited, workerGauges(workers.length, unanswered));
    return AggregatorRegistry.aggregate(parts).metrics();
  };

  cluster.on('listening', (worker) => listening.add(worker));
  cluster.on('exit', (worker) => {
    listening.delete(worker);
    const last = lastAnswers.get(worker);
    lastAnswers.delete(worker);
    if (last) exited.push(monotonic(last));
  });
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<CollectAnswer>(message, 'tollgate:metrics-collected')) {
      // Kept as it arrives: a worker that answers and then dies leaves these counters behind.
      if (message.metrics && listening.has(worker)) lastAnswers.set(worker, message.metrics);
      collecting.get(message.collectId)?.(worker, message.metrics);
    } else if (isMessage<ScrapeRequest>(message, 'tollgate:metrics-scrape')) {
      void scrape()
        .catch(() => null)
        .then((exposition) => {
          const answer: ScrapeAnswer = { type: 'tollgate:metrics-scrape-answer', requestId: message.requestId, exposition };
          // The worker may have exited meanwhile: nobody is left to answer.
          if (worker.isConnected()) worker.send(answer, () => undefined);
        });
    }
  });
}

/** The metrics that only ever grow: what a worker that no longer answers still contributes. */
function monotonic(metrics: MetricsJson): MetricsJson {
  return metrics.filter((metric) => (metric.type as unknown) === 'counter' || (metric.type as unknown) === 'histogram');
}

function workerGauges(listening: number, unanswered: number): MetricsJson {
  const gauge = (name: string, help: string, value: number) =>
    ({ name, help, type: 'gauge', aggregator: 'first', values: [{ labels: {}, value }] }) as unknown as MetricsJson[number];
  return [
    gauge('tollgate_workers', 'Worker processes listening (--num_workers)', listening),
    gauge(
      'tollgate_workers_unanswered',
      'Workers that did not answer this scrape in time: their last counters are shown, their gauges left out',
      unanswered,
    ),
  ];
}
