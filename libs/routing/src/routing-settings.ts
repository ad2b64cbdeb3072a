export type RoutingStrategy = 'simple-shuffle' | 'least-busy';

/** LiteLLM's `router_settings`, validated. */
export interface RoutingSettings {
  /** alias → fallback aliases, tried in order once the alias's own deployments have failed. */
  fallbacks: Record<string, string[]>;
  /** Further attempts on other deployments of the same alias after a retryable failure. */
  numRetries: number;
  /** Consecutive failures after which a deployment is cooled down. */
  allowedFails: number;
  cooldownMs: number;
  strategy: RoutingStrategy;
}

export const ROUTING_SETTINGS = Symbol('ROUTING_SETTINGS');
export const DEPLOYMENTS = Symbol('DEPLOYMENTS');
