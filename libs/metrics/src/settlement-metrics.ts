import type { SettlementRetry } from '@tollgate/spend';
import { Gauge, type Registry } from 'prom-client';

/**
 * This process's settlement backlog. Each process retries only its own settlements, so under
 * --num_workers the backlogs add up and the lag is the oldest of them.
 */
export function registerSettlementMetrics(registry: Registry, settlement: SettlementRetry): void {
  const pending: Gauge = new Gauge({
    name: 'tollgate_settlements_pending',
    help: 'Settlements of this instance that could not be written yet and are being retried',
    registers: [registry],
    aggregator: 'sum',
    collect: () => pending.set(settlement.pending),
  });
  const lag: Gauge = new Gauge({
    name: 'tollgate_settlement_lag_seconds',
    help: 'Seconds since the call behind the oldest settlement still being retried ended; 0 when every settlement has landed',
    registers: [registry],
    aggregator: 'max',
    collect: () => {
      const oldest = settlement.oldestWaitingCallEnd();
      lag.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
}
