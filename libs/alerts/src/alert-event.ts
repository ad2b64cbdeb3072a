/**
 * The events POSTed to alert webhooks (documented in the README, "Budget alerts"). Field names
 * follow LiteLLM's webhook events (`event`, `event_group`, `event_message`, `spend`, `max_budget`)
 * so receivers written for LiteLLM keep working. Never a key, a key hash, a prompt or a completion.
 */
export interface BudgetAlertEvent {
  /** Stable per holder, window and threshold: receivers can drop a redelivery by it. */
  id: string;
  /** `threshold_crossed` below 100 % of the budget, `budget_crossed` at or above it. */
  event: 'threshold_crossed' | 'budget_crossed';
  event_group: 'key' | 'team';
  event_message: string;
  time: string;
  threshold: number;
  spend: number;
  max_budget: number;
  budget_duration: string | null;
  window_start: string;
  window_end: string | null;
  team_id: string | null;
  team_alias: string | null;
  key_alias: string | null;
  key_name: string | null;
}

export interface DeploymentAlertEvent {
  id: string;
  /** The deployment was taken out of rotation, or served a request again after that. */
  event: 'deployment_cooldown' | 'deployment_recovered';
  event_group: 'deployment';
  event_message: string;
  time: string;
  model_group: string;
  deployment: string;
  provider: string;
  cooldown_until: string | null;
  consecutive_failures: number;
  /** How the last attempt failed (`connection`, `timeout`, `http 503`…): never the upstream's message. */
  reason: string | null;
}

export type AlertEvent = BudgetAlertEvent | DeploymentAlertEvent;

/** Slack's incoming-webhook body: https://api.slack.com/messaging/webhooks */
export function slackMessage(event: AlertEvent): { text: string } {
  const icon =
    event.event === 'deployment_recovered' ? ':white_check_mark:' : event.event === 'threshold_crossed' ? ':warning:' : ':rotating_light:';
  return { text: `${icon} ${event.event_message}` };
}
