import { BudgetExceededError, type Reservation } from '@tollgate/budgets';
import type { Caller } from '@tollgate/keys';
import type { ChatCompletionChunk, ChatUsage, Deployment } from '@tollgate/providers';

import type { ModelPricing } from './price-catalog';
import type { CallType, LedgerStatus } from './spend-ledger';

/** Characters per token when estimating output that never got a usage report: a low ratio over-counts, never under. */
const CHARS_PER_TOKEN_ESTIMATE = 3;

/** Longest upstream error text kept for the ledger row. */
const UPSTREAM_ERROR_CHARS = 500;

export interface FailedAttempt {
  deployment: Deployment;
  error: unknown;
}

const NO_FAILED_ATTEMPTS: readonly FailedAttempt[] = [];

export interface TokenBounds {
  inputTokens: number;
  outputTokens: number;
}

/** What the caller asked for, known before any deployment is chosen. */
export interface CallRequest {
  requestId: string;
  callType: CallType;
  caller: Caller;
  modelGroup: string;
  endUser: string | null;
  sessionId: string | null;
  metadata: Record<string, unknown>;
  /** Upper bound of the input tokens the gateway can measure (text, tools), computed once per request. */
  inputTokensBound: number;
  /** The input holds media or references that only the model's context window bounds. */
  unmeasuredInput: boolean;
}

/**
 * What happened to one request, told along the request path and settled once at its end by
 * SpendInterceptor. Callers say what happened (`succeeded`, `failed`, `cancelled`, `countDelta`…);
 * the record decides what that means for the ledger row. Lives on the request object, so the
 * interceptor sees what the handler did.
 */
export class CallRecord {
  readonly requestId: string;
  readonly callType: CallType;
  readonly caller: Caller;
  readonly modelGroup: string;
  readonly endUser: string | null;
  readonly sessionId: string | null;
  readonly metadata: Record<string, unknown>;
  readonly inputTokensBound: number;
  readonly unmeasuredInput: boolean;
  readonly startTime = Date.now();

  private attempt?: { deployment: Deployment; pricing: ModelPricing; reservation?: Reservation };
  private billingBounds?: TokenBounds;
  private served?: { alias: string; attemptedFallbacks: number };
  private outcome?: { status: LedgerStatus; error?: string };
  private reportedUsage?: ChatUsage;
  private generated = { chars: 0, chunks: 0 };
  private firstByte?: number;
  private upstreamStart?: number;
  private failedUpstreams?: FailedAttempt[];
  private failure?: unknown;
  private leftInFlight = false;

  constructor(request: CallRequest) {
    this.requestId = request.requestId;
    this.callType = request.callType;
    this.caller = request.caller;
    this.modelGroup = request.modelGroup;
    this.endUser = request.endUser;
    this.sessionId = request.sessionId;
    this.metadata = request.metadata;
    this.inputTokensBound = request.inputTokensBound;
    this.unmeasuredInput = request.unmeasuredInput;
  }

  // ── Routing: one attempt per deployment tried ─────────────────────────────────────────────────

  /** An attempt on this deployment begins, at its price. */
  attempting(deployment: Deployment, pricing: ModelPricing): void {
    this.attempt = { deployment, pricing };
  }

  /**
   * What the current attempt's reservation is sized by: the most input and output tokens the call
   * may be billed for on its deployment. Usage beyond them is not believed, and estimates never pass them.
   */
  boundedBy(bounds: TokenBounds): void {
    this.billingBounds = bounds;
  }

  reserved(reservation: Reservation | undefined): void {
    if (this.attempt) this.attempt.reservation = reservation;
  }

  /** The attempt failed before spending anything: its reservation, handed back by the caller. */
  takeReservation(): Reservation | undefined {
    const reservation = this.attempt?.reservation;
    if (this.attempt) this.attempt.reservation = undefined;
    return reservation;
  }

  /** The current attempt's request goes to its upstream now, its reservation made (LLM API latency starts). */
  callingUpstream(): void {
    this.upstreamStart = Date.now();
  }

  /** The current attempt's upstream call failed; the router moves on to another deployment or gives up. */
  attemptFailed(error: unknown): void {
    if (this.attempt) (this.failedUpstreams ??= []).push({ deployment: this.attempt.deployment, error });
  }

  /** The client left while an upstream call was in flight, before any answer came back. */
  abandonedInFlight(): void {
    this.leftInFlight = true;
  }

  servedBy(alias: string, attemptedFallbacks: number): void {
    this.served = { alias, attemptedFallbacks };
  }

  // ── What the upstream sent ────────────────────────────────────────────────────────────────────

  /** Usage the upstream reported; in a stream, the last report wins (some servers report cumulatively). */
  usageReported(usage: ChatUsage | null | undefined): void {
    if (usage) this.reportedUsage = usage;
  }

  /** The first byte of the answer went to the client (time to first token). */
  firstByteSent(): void {
    this.firstByte ??= Date.now();
  }

  /**
   * Counts output received — one piece of text (a delta, a content block) at a time — for billing an
   * answer whose usage is missing or not believable. Non-strings (a broken upstream's nulls) count nothing.
   */
  countDelta(...texts: unknown[]): void {
    const length = texts.reduce<number>((n, text) => n + (typeof text === 'string' ? text.length : 0), 0);
    if (length > 0) {
      this.generated.chars += length;
      this.generated.chunks++;
    }
  }

  /** One streamed chat chunk: its usage, if it carries one, and its generated text. */
  countChunk(chunk: ChatCompletionChunk): void {
    this.usageReported(chunk.usage);
    for (const choice of chunk.choices) {
      const delta = choice?.delta;
      this.countDelta(delta?.content, delta?.reasoning_content, ...(delta?.tool_calls ?? []).map((call) => call.function?.arguments));
    }
  }

  /** Output of a whole chat completion (non-streamed), by the same measure as a stream's deltas. */
  countChoices(choices: unknown): void {
    for (const choice of Array.isArray(choices)
      ? (choices as { message?: { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown } }[])
      : []) {
      const message = choice?.message;
      const calls = Array.isArray(message?.tool_calls) ? (message.tool_calls as { function?: { arguments?: unknown } }[]) : [];
      this.countDelta(message?.content, message?.reasoning_content, ...calls.map((call) => call?.function?.arguments));
    }
  }

  /** Output of an Anthropic message's content blocks (text, thinking, tool input). */
  countBlocks(blocks: unknown[]): void {
    for (const block of blocks as { text?: unknown; thinking?: unknown; input?: unknown }[]) {
      this.countDelta(block?.text, block?.thinking, block?.input === undefined ? undefined : JSON.stringify(block.input));
    }
  }

  // ── How the call ended ────────────────────────────────────────────────────────────────────────

  /** The answer went out whole. An upstream failure reported inside the answer (`upstreamFailed`) stands. */
  succeeded(usage?: ChatUsage | null): void {
    this.usageReported(usage);
    this.outcome ??= { status: 'success' };
  }

  /** The upstream reported a failure inside an answer that had already begun (an `error` event after a 200). */
  upstreamFailed(detail: string): void {
    this.outcome = { status: 'error', error: detail.slice(0, UPSTREAM_ERROR_CHARS) };
  }

  /** The call failed with this error; one the client caused by leaving counts as a cancellation. */
  failed(error: unknown, clientLeft = false): void {
    const status =
      error instanceof BudgetExceededError ? 'budget_exceeded' : clientLeft || this.leftInFlight ? 'client_cancelled' : 'error';
    this.outcome = { status, error: (error as Error)?.message ?? String(error) };
    this.failure = error;
  }

  /** The client left before the answer was whole. */
  cancelled(): void {
    this.outcome = { status: 'client_cancelled' };
  }

  // ── Read by settlement ────────────────────────────────────────────────────────────────────────

  get status(): LedgerStatus | undefined {
    return this.outcome?.status;
  }

  get error(): string | undefined {
    return this.outcome?.error;
  }

  get usage(): ChatUsage | undefined {
    return this.reportedUsage;
  }

  get deployment(): Deployment | undefined {
    return this.attempt?.deployment;
  }

  get pricing(): ModelPricing | undefined {
    return this.attempt?.pricing;
  }

  get bounds(): TokenBounds | undefined {
    return this.billingBounds;
  }

  get reservation(): Reservation | undefined {
    return this.attempt?.reservation;
  }

  get servedByAlias(): string | undefined {
    return this.served?.alias;
  }

  get attemptedFallbacks(): number {
    return this.served?.attemptedFallbacks ?? 0;
  }

  get firstByteAt(): number | undefined {
    return this.firstByte;
  }

  /** When the last attempt's upstream call began; undefined when no upstream was called. */
  get upstreamStartedAt(): number | undefined {
    return this.upstreamStart;
  }

  /** Attempts whose upstream call failed, in order: the deployments tried before the last one, or all of them. */
  get failedAttempts(): readonly FailedAttempt[] {
    return this.failedUpstreams ?? NO_FAILED_ATTEMPTS;
  }

  /** The error the call failed with, when it failed with one (not an error reported inside a begun answer). */
  get failureCause(): unknown {
    return this.failure;
  }

  get leftWhileInFlight(): boolean {
    return this.leftInFlight;
  }

  get outputReceived(): boolean {
    return this.generated.chars > 0;
  }

  /**
   * Output tokens at least generated, from the text received so far: one per delta, or a character
   * count at three characters a token, whichever is more — low enough to over-count, never under.
   */
  generatedTokensEstimate(): number {
    return Math.max(this.generated.chunks, Math.ceil(this.generated.chars / CHARS_PER_TOKEN_ESTIMATE));
  }
}

const CALL_RECORD = Symbol('callRecord');

export function attachCallRecord(request: object, record: CallRecord): void {
  (request as Record<symbol, CallRecord>)[CALL_RECORD] = record;
}

export function callRecordOf(request: object): CallRecord | undefined {
  return (request as Record<symbol, CallRecord | undefined>)[CALL_RECORD];
}
