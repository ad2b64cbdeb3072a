import type { AlertSettings } from '@tollgate/alerts';
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
  /**
   * `general_settings.use_x_forwarded_for` (LiteLLM's name): behind a reverse proxy, the client's
   * address is the X-Forwarded-For entry that proxy added. Off by default, since any client can
   * send the header: trusting it unasked would let a guesser pick a fresh address per attempt.
   */
  trustForwardedFor: boolean;
  /** /docs and /docs/openapi.json; LiteLLM's `NO_DOCS=True` turns them off. */
  docsEnabled: boolean;
  /** LiteLLM's `LITELLM_LOG=DEBUG`: debug lines too, Nest's route mapping among them. */
  debugLogs: boolean;
  /** `--json-logs` / LiteLLM's `JSON_LOGS=true`: one JSON object per log line. */
  jsonLogs: boolean;
  /** One info line per request (TOLLGATE_ACCESS_LOG); on by default with JSON logs only. */
  accessLog: boolean;
  /** Dashboard login by UI_USERNAME / UI_PASSWORD, when both are set; the master key otherwise. */
  uiCredentials: UiCredentials | null;
  /** Budget and cooldown webhooks (`general_settings.alerting`…). */
  alerting: AlertSettings;
  metrics: MetricsAccess;
}

/** Who may scrape /metrics. */
export interface MetricsAccess {
  /**
   * `litellm_settings.require_auth_for_metrics_endpoint` (LiteLLM's switch). Tollgate defaults it to
   * true, where LiteLLM defaults to false: the labels name every key alias and team.
   */
  requireAuth: boolean;
  /** `PROMETHEUS_API_KEY`: a credential for the scraper alone, so it need not hold the master key. */
  apiKey: string | null;
}

export interface UiCredentials {
  username: string;
  password: string;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
