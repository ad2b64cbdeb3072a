/** What the metrics library needs from the gateway around it. */
export interface MetricsOptions {
  /** The HTTP status the client got for an error: the gateway's one error filter decides it. */
  statusOf: (error: unknown) => number;
}

export const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');
