/** Why /metrics cannot be answered; mapped to HTTP in common/error-descriptor.ts. */
export class MetricsUnavailableError extends Error {
  readonly code = 'metrics_unavailable';
}
