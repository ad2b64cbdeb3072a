import type { Deployment } from '@tollgate/providers';
import type { RoutingSettings } from '@tollgate/routing';

export type DatabaseTarget = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

/** Everything the gateway runs on, validated once at start-up. */
export interface GatewayConfig {
  configPath: string;
  deployments: Deployment[];
  routing: RoutingSettings;
  masterKey?: string;
  database: DatabaseTarget;
  /** Shared rate-limit counters across instances (`REDIS_URL`); per process when absent. */
  redisUrl?: string;
  /** Largest request body accepted on any route, in bytes. */
  maxRequestBytes: number;
  /** Silence after which an Anthropic-style stream gets a `ping` event (TOLLGATE_STREAM_KEEPALIVE_MS). */
  streamKeepAliveMs: number;
  /** How long in-flight requests may take to finish after SIGTERM. */
  shutdownGraceMs: number;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
