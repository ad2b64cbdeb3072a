import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { request } from 'undici';

import { type AlertEvent, slackMessage } from './alert-event';
import { ALERT_SETTINGS, type AlertSettings, type AlertWebhook } from './alert-settings';

/** First retry after this long, doubling, for WEBHOOK_ATTEMPTS attempts in all (about 30 s). */
export const WEBHOOK_RETRY_FIRST_MS = 1_000;
export const WEBHOOK_ATTEMPTS = 5;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** Deliveries waiting at once; beyond this a webhook that is down would grow memory without end. */
const MAX_PENDING = 1_000;

/**
 * Sends alert events to every configured webhook, off the request path: `send` returns at once.
 * Connection failures, timeouts, 429 and 5xx are retried with exponential backoff; other answers
 * are final. Failures are logged with the webhook's origin only — a Slack URL's path is its secret.
 */
@Injectable()
export class WebhookDelivery implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Alerts');
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private stopped = false;
  /** For /metrics: deliveries that got a 2xx; failed POSTs, retried or not; deliveries given up or dropped. */
  delivered = 0;
  failedAttempts = 0;
  failedDeliveries = 0;

  constructor(@Inject(ALERT_SETTINGS) private readonly settings: AlertSettings) {}

  send(event: AlertEvent): void {
    for (const webhook of this.settings.webhooks) {
      if (this.pending >= MAX_PENDING) {
        this.failedDeliveries++;
        this.logger.warn(`Dropped ${event.event} ${event.id} for ${originOf(webhook.url)}: ${MAX_PENDING} deliveries already waiting`);
        continue;
      }
      this.pending++;
      const body = JSON.stringify(webhook.format === 'slack' ? slackMessage(event) : event);
      void this.attempt(webhook, event, body, 1);
    }
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async attempt(webhook: AlertWebhook, event: AlertEvent, body: string, attempt: number): Promise<void> {
    const failure = await post(webhook.url, body, event.id);
    if (failure === null) {
      this.pending--;
      this.delivered++;
      return;
    }
    this.failedAttempts++;
    const where = `${event.event} ${event.id} to ${originOf(webhook.url)}`;
    if (!failure.retryable || attempt >= WEBHOOK_ATTEMPTS || this.stopped) {
      this.pending--;
      this.failedDeliveries++;
      this.logger.warn(`Gave up delivering ${where} after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${failure.reason}`);
      return;
    }
    this.logger.warn(`Delivering ${where} failed (${failure.reason}); retrying`);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.attempt(webhook, event, body, attempt + 1);
      },
      WEBHOOK_RETRY_FIRST_MS * 2 ** (attempt - 1),
    );
    timer.unref();
    this.timers.add(timer);
  }
}

async function post(url: string, body: string, eventId: string): Promise<{ reason: string; retryable: boolean } | null> {
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tollgate-event-id': eventId },
      body,
      headersTimeout: WEBHOOK_TIMEOUT_MS,
      bodyTimeout: WEBHOOK_TIMEOUT_MS,
    });
    await response.body.dump();
    if (response.statusCode < 300) return null;
    return { reason: `HTTP ${response.statusCode}`, retryable: response.statusCode === 429 || response.statusCode >= 500 };
  } catch (error) {
    return { reason: (error as { code?: string }).code ?? 'connection failed', retryable: true };
  }
}

/** What a log may say about a webhook: scheme, host and port, never the path or query that authorise it. */
export function originOf(url: string): string {
  return `${new URL(url).origin}/…`;
}
