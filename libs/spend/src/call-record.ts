import type { Reservation } from '@tollgate/budgets';
import type { Caller } from '@tollgate/keys';
import type { ChatUsage, Deployment } from '@tollgate/providers';
import type { CallType, LedgerStatus } from './spend-ledger';
import type { ModelPricing } from './price-catalog';

/**
 * What happened to one request, filled in along the request path and settled once at its end.
 * Lives on the request object, so the interceptor that settles sees what the handler did.
 */
export interface CallRecord {
  requestId: string;
  callType: CallType;
  caller: Caller;
  startTime: number;
  modelGroup: string | null;
  endUser: string | null;
  sessionId: string | null;
  metadata: Record<string, unknown>;
  /** Upper bound of input tokens, computed once: billing for a call cut off before usage arrived. */
  inputTokensBound: number;
  deployment?: Deployment;
  servedByAlias?: string;
  attemptedFallbacks: number;
  pricing?: ModelPricing;
  reservation?: Reservation;
  usage?: ChatUsage;
  /** Output generated so far when usage never arrived (client left mid-stream): counted from the text. */
  generatedChars: number;
  generatedChunks: number;
  firstByteAt?: number;
  /** The client left while an upstream call was in flight, before any answer came back. */
  abandonedInFlight?: boolean;
  status?: LedgerStatus;
  error?: string;
  settled: boolean;
  /** Set by settlement, for the `x-litellm-response-cost` / `x-litellm-key-spend` headers. */
  costNanos?: number;
  keySpendNanos?: number | null;
}

const CALL_RECORD = Symbol('callRecord');

export function attachCallRecord(request: object, record: CallRecord): void {
  (request as Record<symbol, CallRecord>)[CALL_RECORD] = record;
}

export function callRecordOf(request: object): CallRecord | undefined {
  return (request as Record<symbol, CallRecord | undefined>)[CALL_RECORD];
}
