/** LiteLLM's `alert_types` names for the two kinds of alert Tollgate sends. */
export type AlertType = 'budget_alerts' | 'cooldown_deployment';

export const ALERT_TYPES: readonly AlertType[] = ['budget_alerts', 'cooldown_deployment'];

/** `json`: the event object as documented; `slack`: Slack's incoming-webhook body (`{"text": …}`). */
export type WebhookFormat = 'json' | 'slack';

export interface AlertWebhook {
  url: string;
  format: WebhookFormat;
}

/** Where alerts go and when they fire, validated at start-up from `general_settings`. */
export interface AlertSettings {
  webhooks: AlertWebhook[];
  alertTypes: ReadonlySet<AlertType>;
  /** Fractions of a budget, ascending: an event when a holder's spend first reaches each in a window. */
  budgetThresholds: number[];
}

export const DEFAULT_BUDGET_THRESHOLDS = [0.8, 1];

export const ALERT_SETTINGS = Symbol('ALERT_SETTINGS');
