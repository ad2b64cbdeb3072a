import type { WebhookDelivery } from '@tollgate/alerts';
import { Counter, type Registry } from 'prom-client';

/**
 * Alert webhooks' outcomes, read from WebhookDelivery's own counts at scrape time. A delivery is
 * one event to one webhook; it fails when its last attempt fails or when it is dropped because too
 * many deliveries are waiting. Every failed POST, retried or not, is also an attempt failure.
 */
export function registerAlertDeliveryMetrics(registry: Registry, delivery: WebhookDelivery): void {
  const deliveries: Counter = new Counter({
    name: 'tollgate_alert_deliveries_total',
    help: 'Alert events sent to a webhook, by outcome: delivered (2xx), failed (given up after retries, a final status, or dropped)',
    labelNames: ['result'],
    registers: [registry],
    collect: () => {
      deliveries.reset();
      deliveries.inc({ result: 'delivered' }, delivery.delivered);
      deliveries.inc({ result: 'failed' }, delivery.failedDeliveries);
    },
  });
  const failedAttempts: Counter = new Counter({
    name: 'tollgate_alert_delivery_failed_attempts_total',
    help: 'Webhook POSTs that failed (connection error, timeout or non-2xx), whether retried or not',
    registers: [registry],
    collect: () => {
      failedAttempts.reset();
      failedAttempts.inc(delivery.failedAttempts);
    },
  });
}
