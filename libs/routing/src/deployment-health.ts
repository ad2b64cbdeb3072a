import { Inject, Injectable } from '@nestjs/common';
import type { UpstreamError } from '@tollgate/providers';

import { ROUTING_SETTINGS, type RoutingSettings } from './routing-settings';

export type DeploymentState = 'healthy' | 'cooling_down' | 'unhealthy';

export interface DeploymentHealthSnapshot {
  state: DeploymentState;
  consecutiveFailures: number;
  cooldownUntil: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  inFlight: number;
}

/** A deployment left rotation (`cooling_down`) or served again after that (`healthy`). */
export interface DeploymentStateChange {
  deploymentId: string;
  state: 'cooling_down' | 'healthy';
  consecutiveFailures: number;
  cooldownUntil: number | null;
  /** How the failure that started the cooldown happened (`timeout`, `http 503`…), never the upstream's text. */
  reason: string | null;
  /** The status the failure that started the cooldown answered with (LiteLLM's `exception_status`); null on recovery. */
  exceptionStatus: number | null;
}

interface HealthRecord {
  /** In cooldown since its last success: a deployment that stays down is reported once, not once per cooldown. */
  outOfService: boolean;
  consecutiveFailures: number;
  cooldownUntil: number;
  lastError: string | null;
  lastErrorAt: number | null;
  inFlight: number;
}

/**
 * Passive health from real traffic: after `allowed_fails` consecutive failures a deployment is
 * skipped for `cooldown_time`, then tried again; one success makes it healthy. Kept per process —
 * each instance learns from its own traffic, which is what matters for its own latency.
 */
@Injectable()
export class DeploymentHealth {
  private readonly records = new Map<string, HealthRecord>();
  private readonly listeners: ((change: DeploymentStateChange) => void)[] = [];

  constructor(@Inject(ROUTING_SETTINGS) private readonly settings: RoutingSettings) {}

  /** Alerts and metrics listen here; a listener must not throw and must not block. */
  onStateChange(listener: (change: DeploymentStateChange) => void): void {
    this.listeners.push(listener);
  }

  isCoolingDown(deploymentId: string, now = Date.now()): boolean {
    const record = this.records.get(deploymentId);
    return record !== undefined && record.cooldownUntil > now;
  }

  inFlight(deploymentId: string): number {
    return this.records.get(deploymentId)?.inFlight ?? 0;
  }

  started(deploymentId: string): void {
    this.record(deploymentId).inFlight++;
  }

  finished(deploymentId: string): void {
    const record = this.record(deploymentId);
    record.inFlight = Math.max(0, record.inFlight - 1);
  }

  recordSuccess(deploymentId: string): void {
    const record = this.record(deploymentId);
    record.consecutiveFailures = 0;
    record.cooldownUntil = 0;
    if (record.outOfService) {
      record.outOfService = false;
      this.changed({ deploymentId, state: 'healthy', consecutiveFailures: 0, cooldownUntil: null, reason: null, exceptionStatus: null });
    }
  }

  recordFailure(deploymentId: string, error: UpstreamError, now = Date.now()): void {
    const record = this.record(deploymentId);
    record.consecutiveFailures++;
    record.lastError = error.message;
    record.lastErrorAt = now;
    if (record.consecutiveFailures < this.settings.allowedFails) return;
    record.cooldownUntil = now + this.settings.cooldownMs;
    if (record.outOfService) return;
    record.outOfService = true;
    this.changed({
      deploymentId,
      state: 'cooling_down',
      consecutiveFailures: record.consecutiveFailures,
      cooldownUntil: record.cooldownUntil,
      reason: error.reason,
      exceptionStatus: error.status,
    });
  }

  snapshot(deploymentId: string, now = Date.now()): DeploymentHealthSnapshot {
    const record = this.records.get(deploymentId);
    if (!record) return { state: 'healthy', consecutiveFailures: 0, cooldownUntil: null, lastError: null, lastErrorAt: null, inFlight: 0 };
    const coolingDown = record.cooldownUntil > now;
    return {
      state: coolingDown ? 'cooling_down' : record.consecutiveFailures > 0 ? 'unhealthy' : 'healthy',
      consecutiveFailures: record.consecutiveFailures,
      cooldownUntil: coolingDown ? new Date(record.cooldownUntil).toISOString() : null,
      lastError: record.lastError,
      lastErrorAt: record.lastErrorAt === null ? null : new Date(record.lastErrorAt).toISOString(),
      inFlight: record.inFlight,
    };
  }

  private changed(change: DeploymentStateChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private record(deploymentId: string): HealthRecord {
    let record = this.records.get(deploymentId);
    if (!record) {
      record = { outOfService: false, consecutiveFailures: 0, cooldownUntil: 0, lastError: null, lastErrorAt: null, inFlight: 0 };
      this.records.set(deploymentId, record);
    }
    return record;
  }
}
