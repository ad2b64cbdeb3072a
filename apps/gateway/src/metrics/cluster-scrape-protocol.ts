import type { MetricsJson } from '@tollgate/metrics';

/**
 * The IPC messages of a scrape under --num_workers. The primary builds no app, so the worker that
 * received GET /metrics asks it (ScrapeRequest); the primary asks every listening worker for its
 * per-process metrics (CollectRequest), sums what comes back and answers (ScrapeAnswer).
 */
export interface ScrapeRequest {
  type: 'tollgate:metrics-scrape';
  requestId: number;
}

export interface ScrapeAnswer {
  type: 'tollgate:metrics-scrape-answer';
  requestId: number;
  /** Text exposition of every worker's per-process metrics, aggregated; null when they could not be aggregated. */
  exposition: string | null;
}

export interface CollectRequest {
  type: 'tollgate:metrics-collect';
  collectId: number;
}

export interface CollectAnswer {
  type: 'tollgate:metrics-collected';
  collectId: number;
  /** null when the worker could not collect them. */
  metrics: MetricsJson | null;
}

/** How long the primary waits for each worker's metrics; a worker later than this is shown by its last answer. */
export const COLLECT_TIMEOUT_MS = 2_000;
/** How long a worker waits for the primary's aggregate before answering the scrape with a 503. */
export const SCRAPE_ANSWER_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 3_000;

export function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
