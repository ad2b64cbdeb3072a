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
  /** Upper bound of the input tokens the gateway can measure (text, tools), computed once per request. */
  inputTokensBound: number;
  /** The input holds media or references that only the model's context window bounds. */
  unmeasuredInput: boolean;
  /**
   * What the current attempt's reservation was sized by: the most input and output tokens the call
   * may be billed for on this deployment. Usage beyond them is not believed, and estimates never pass them.
   */
  bounds?: { inputTokens: number; outputTokens: number };
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
  /** Set by settlement: the charge is an estimate, the upstream's usage missing or not believable. */
  estimated?: boolean;
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

/**
 * Counts output received — one piece of text (a delta, a content block) at a time — for billing an
 * answer whose usage is missing or not believable. Non-strings (a broken upstream's nulls) count nothing.
 */
export function countGenerated(record: CallRecord, ...texts: unknown[]): void {
  const length = texts.reduce<number>((n, text) => n + (typeof text === 'string' ? text.length : 0), 0);
  if (length > 0) {
    record.generatedChars += length;
    record.generatedChunks++;
  }
}

/** Output of a whole chat completion (non-streamed), by the same measure as a stream's deltas. */
export function countGeneratedChoices(record: CallRecord, choices: unknown): void {
  for (const choice of Array.isArray(choices) ? (choices as { message?: { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown } }[]) : []) {
    const message = choice?.message;
    const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as { function?: { arguments?: unknown } }[]) : [];
    countGenerated(record, message?.content, message?.reasoning_content, ...calls.map((call) => call?.function?.arguments));
  }
}

/** Output of an Anthropic message's content blocks (text, thinking, tool input). */
export function countGeneratedBlocks(record: CallRecord, blocks: unknown[]): void {
  for (const block of blocks as { text?: unknown; thinking?: unknown; input?: unknown }[]) {
    countGenerated(record, block?.text, block?.thinking, block?.input === undefined ? undefined : JSON.stringify(block.input));
  }
}
