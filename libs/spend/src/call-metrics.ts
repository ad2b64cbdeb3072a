import type { CallRecord } from './call-record';
import type { TokenCounts } from './cost';

/** What settlement charged one call, as metrics count it. */
export interface SettledCall {
  costNanos: number;
  /** The tokens billed: the upstream's usage when believable, else the gateway's estimate. */
  tokens: TokenCounts;
  endTime: number;
}

/**
 * Told of every model call once, when it is settled (refusals included), so that metrics count
 * exactly what the ledger charges. Implemented by the metrics library; it must stay cheap (a few
 * microseconds) and never throw, since it runs on every request.
 */
export abstract class CallMetrics {
  abstract callSettled(record: CallRecord, call: SettledCall): void;
}
