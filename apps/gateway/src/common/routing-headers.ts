import type { RoutedResult } from '@tollgate/routing';

/** Fallbacks the router left out because the caller's key or team may not call them (a count, not names). */
export const SKIPPED_FALLBACKS_HEADER = 'x-tollgate-skipped-fallbacks';

/** Who served a response, under LiteLLM's header names so existing dashboards and scripts read them. */
export function routingHeaders(routed: RoutedResult<unknown>): Record<string, string> {
  return {
    'x-litellm-model-group': routed.servedByAlias,
    'x-litellm-model-id': routed.deployment.id,
    'x-litellm-model-api-base': routed.deployment.apiBase,
    'x-litellm-attempted-fallbacks': String(routed.attemptedFallbacks),
    [SKIPPED_FALLBACKS_HEADER]: String(routed.skippedFallbacks),
  };
}
