import { Inject, Injectable, Logger } from '@nestjs/common';
import { RequestLogLine } from '@tollgate/logging';
import { addressForLog, type Deployment, ProviderRequestError, unrepresentableError, UpstreamError } from '@tollgate/providers';

import { DeploymentHealth } from './deployment-health';
import { ModelRegistry } from './model-registry';
import { RouteFailedError, RoutingError, RoutingErrorCode, unknownModelError } from './routing.errors';
import { ROUTING_SETTINGS, type RoutingSettings } from './routing-settings';

export interface RoutedResult<T> {
  value: T;
  deployment: Deployment;
  /** The alias whose deployment answered: the requested one, or a fallback. */
  servedByAlias: string;
  attemptedFallbacks: number;
  /** Fallback aliases left out because the caller may not call them. */
  skippedFallbacks: number;
}

/** Which aliases the caller may be served by: its key's list intersected with its team's. */
export type AliasPermission = (alias: string) => boolean;

const ANY_ALIAS: AliasPermission = () => true;

/**
 * One try on one deployment. Throwing an UpstreamError lets the router retry or fall back; so does
 * a ProviderRequestError, which says this deployment cannot represent the request.
 */
export type Attempt<T> = (deployment: Deployment) => Promise<T>;

/**
 * Chooses deployments for an alias: retryable failures move on to another deployment of the
 * alias (up to `num_retries` more), then to each fallback alias in order. Deployments in cooldown
 * are skipped without waiting on them. Caller mistakes (400, 401, 404 from the upstream) end the
 * search at once: another deployment would answer the same. Fallbacks the caller may not call are
 * never tried: a local-only key must not be served (and charged) by a cloud model. A request one
 * deployment cannot represent (a ProviderRequestError thrown before anything is sent) moves on to the next.
 */
@Injectable()
export class ModelRouter {
  private readonly logger = new Logger('Router');

  constructor(
    private readonly registry: ModelRegistry,
    private readonly health: DeploymentHealth,
    @Inject(ROUTING_SETTINGS) private readonly settings: RoutingSettings,
  ) {}

  /**
   * The deployment a question about an alias goes to when nothing is called through the router
   * (count_tokens): the first one not cooling down, else the first. Unknown aliases are refused as
   * `route` refuses them, listing only those the caller may use.
   */
  deploymentFor(alias: string, mayUse: AliasPermission = ANY_ALIAS): Deployment {
    const deployments = this.registry.deploymentsOf(alias);
    const deployment = deployments.find((d) => !this.health.isCoolingDown(d.id)) ?? deployments[0];
    if (!deployment) throw unknownModelError(alias, this.registry.aliases().filter(mayUse));
    return deployment;
  }

  /** `requestId` names the request in the log lines about its failed attempts. */
  async route<T>(
    alias: string,
    attempt: Attempt<T>,
    signal?: AbortSignal,
    mayUse: AliasPermission = ANY_ALIAS,
    requestId?: string,
  ): Promise<RoutedResult<T>> {
    if (!this.registry.has(alias) || !mayUse(alias)) {
      // Only the aliases this caller may call are listed: the others are none of its business.
      throw unknownModelError(alias, this.registry.aliases().filter(mayUse));
    }
    const fallbacks = this.registry.fallbacksOf(alias);
    const chain = [alias, ...fallbacks.filter(mayUse)];
    const skippedFallbacks = fallbacks.length - (chain.length - 1);
    let lastError: UpstreamError | undefined;
    let lastAlias = alias;

    for (let position = 0; position < chain.length; position++) {
      const groupAlias = chain[position];
      const candidates = this.orderCandidates(this.registry.deploymentsOf(groupAlias));
      for (const deployment of candidates.slice(0, this.settings.numRetries + 1)) {
        this.health.started(deployment.id);
        try {
          const value = await attempt(deployment);
          this.health.recordSuccess(deployment.id);
          return { value, deployment, servedByAlias: groupAlias, attemptedFallbacks: position, skippedFallbacks };
        } catch (error) {
          if (error instanceof ProviderRequestError) {
            // Nothing reached the upstream, which is healthy: no cooldown.
            lastError = unrepresentableError(error);
            lastAlias = groupAlias;
            continue;
          }
          if (!(error instanceof UpstreamError)) throw error;
          if (signal?.aborted) throw error;
          if (!error.retryable) throw new RouteFailedError(error, position, groupAlias, skippedFallbacks);
          // The upstream's address belongs in the operator's log, never in a key holder's error body.
          // Its own error message stays out of the log: an upstream may quote the prompt back in it.
          const failure = `${deployment.id} (${addressForLog(deployment.apiBase)}) failed: ${error.reason}${error.detail ? `: ${error.detail}` : ''}`;
          this.logger.warn(requestId === undefined ? failure : new RequestLogLine(requestId, failure));
          this.health.recordFailure(deployment.id, error);
          lastError = error;
          lastAlias = groupAlias;
        } finally {
          this.health.finished(deployment.id);
        }
      }
    }
    if (lastError) throw new RouteFailedError(lastError, chain.length - 1, lastAlias, skippedFallbacks);
    throw new RoutingError(
      RoutingErrorCode.NO_HEALTHY_DEPLOYMENT,
      `No healthy deployment for "${alias}"${chain.length > 1 ? ` or its fallbacks (${chain.slice(1).join(', ')})` : ''}: all are cooling down after failures${fallbacksNotPermitted(skippedFallbacks)}`,
      chain.length - 1,
      skippedFallbacks,
    );
  }

  /** Healthy deployments in the order to try them; cooling-down ones are left out entirely. */
  private orderCandidates(deployments: readonly Deployment[]): Deployment[] {
    const now = Date.now();
    const available = deployments.filter((d) => !this.health.isCoolingDown(d.id, now));
    if (available.length <= 1) return available;
    if (this.settings.strategy === 'least-busy') {
      return available.sort((a, b) => this.health.inFlight(a.id) - this.health.inFlight(b.id));
    }
    return weightedShuffle(available);
  }
}

/** LiteLLM's simple-shuffle: random order, weighted by a deployment's `rpm` (or `tpm`) when set. */
function weightedShuffle(deployments: Deployment[]): Deployment[] {
  const pool = deployments.map((d) => ({ d, weight: d.rpm ?? d.tpm ?? 1 }));
  const ordered: Deployment[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, entry) => sum + entry.weight, 0);
    let pick = Math.random() * total;
    let index = 0;
    while (index < pool.length - 1 && pick >= pool[index].weight) {
      pick -= pool[index].weight;
      index++;
    }
    ordered.push(pool.splice(index, 1)[0].d);
  }
  return ordered;
}

/** The note added to a final failure when fallbacks existed that this caller may not use. */
export function fallbacksNotPermitted(skipped: number): string {
  return skipped > 0 ? `; ${skipped} fallback model${skipped === 1 ? ' was' : 's were'} not permitted for this key and not tried` : '';
}
