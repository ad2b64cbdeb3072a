import { type Attributes, attributesOf, countAttribute, numberAttribute, stringAttribute } from './otlp-attributes';

/** A subscription tool, named as the ledger's `client_tool` column stores it. */
export type SubscriptionTool = 'claude-code' | 'codex';

/** Who sent a batch of records: the exporter's resource. */
export interface ReportingResource {
  tool: SubscriptionTool | null;
  /** `service.name` as sent, for messages about unsupported senders. */
  serviceName: string | null;
  toolVersion: string | null;
  /** `tollgate.client`: the team the records are reported for, when the user named one. */
  client: string | null;
}

/** One model request a tool reported: becomes one ledger row. Counts only, never text. */
export interface ReportedModelCall {
  resource: ReportingResource;
  sessionId: string;
  /** Unique within the session: the API request id, else the event's sequence or timestamp. */
  callKey: string;
  model: string;
  /** Every input token, cached or not (the ledger's prompt_tokens). */
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** What the tool says the request cost, when it says (Claude Code does, Codex does not). */
  reportedCostNanos: number | null;
  durationMs: number | null;
  timeMs: number;
}

export interface RecordRejection {
  resource: ReportingResource;
  reason: string;
}

export interface MappedLogs {
  calls: ReportedModelCall[];
  rejections: RecordRejection[];
  /** Every resource and how many records it sent, stored or not (prompts, tool results…): attribution covers them all. */
  resources: { resource: ReportingResource; records: number }[];
}

/** Resource attribute naming the team (client) a tool reports for; Tollgate's own, set via OTEL_RESOURCE_ATTRIBUTES. */
export const CLIENT_ATTRIBUTE = 'tollgate.client';

const MAX_ID_CHARS = 128;

/** Claude Code's service.name is `claude-code`; Codex's `codex_exec` (codex exec) or `codex_cli_rs` (the TUI). */
export function toolOf(serviceName: string | undefined): SubscriptionTool | null {
  if (serviceName === 'claude-code') return 'claude-code';
  if (serviceName !== undefined && /^codex[_-]/.test(serviceName)) return 'codex';
  return null;
}

export function resourceOf(resource: unknown): ReportingResource {
  const attributes = attributesOf((resource as { attributes?: unknown } | null | undefined)?.attributes);
  const serviceName = stringAttribute(attributes, 'service.name') ?? null;
  return {
    tool: toolOf(serviceName ?? undefined),
    serviceName,
    toolVersion: stringAttribute(attributes, 'service.version')?.slice(0, 64) ?? null,
    client: stringAttribute(attributes, CLIENT_ATTRIBUTE) ?? null,
  };
}

/** Milliseconds since the epoch from a record: `event.timestamp` (both tools set it), else the OTLP times. */
function timeOf(record: { timeUnixNano?: unknown; observedTimeUnixNano?: unknown }, attributes: Attributes, now: number): number {
  const stamped = Date.parse(stringAttribute(attributes, 'event.timestamp') ?? '');
  if (Number.isFinite(stamped)) return stamped;
  for (const nanos of [record.timeUnixNano, record.observedTimeUnixNano]) {
    const ms = Math.floor(Number(nanos ?? 0) / 1e6);
    if (Number.isFinite(ms) && ms > 0) return ms;
  }
  return now;
}

/** The event name: Claude Code puts `claude_code.api_request` in the body, Codex `codex.sse_event` in `event.name`. */
function eventNameOf(
  record: { body?: { stringValue?: unknown } | null },
  attributes: Attributes,
  tool: SubscriptionTool,
): string | undefined {
  const named = stringAttribute(attributes, 'event.name');
  if (named?.includes('.')) return named;
  const body = record.body?.stringValue;
  if (typeof body === 'string' && body.length <= 64) return body;
  return named === undefined ? undefined : `${tool === 'claude-code' ? 'claude_code' : 'codex'}.${named}`;
}

type CallOrReason = Omit<ReportedModelCall, 'resource' | 'timeMs'> | string;

/**
 * Claude Code `claude_code.api_request`: Anthropic usage, so input_tokens excludes cache reads and
 * writes; cost_usd_micros (exact) is preferred to the cost_usd float.
 */
function claudeCodeCall(attributes: Attributes): CallOrReason {
  const sessionId = stringAttribute(attributes, 'session.id');
  const model = stringAttribute(attributes, 'model');
  if (!sessionId || !model) return 'claude_code.api_request without session.id or model';
  const input = countAttribute(attributes, 'input_tokens') ?? 0;
  const cacheRead = countAttribute(attributes, 'cache_read_tokens') ?? 0;
  const cacheWrite = countAttribute(attributes, 'cache_creation_tokens') ?? 0;
  const micros = countAttribute(attributes, 'cost_usd_micros');
  const usd = numberAttribute(attributes, 'cost_usd');
  const requestId = stringAttribute(attributes, 'request_id');
  const sequence = countAttribute(attributes, 'event.sequence');
  if (!requestId && sequence === undefined) return 'claude_code.api_request without request_id or event.sequence';
  return {
    sessionId: sessionId.slice(0, MAX_ID_CHARS),
    callKey: (requestId ?? `seq-${sequence}`).slice(0, MAX_ID_CHARS),
    model: model.slice(0, MAX_ID_CHARS),
    promptTokens: input + cacheRead + cacheWrite,
    completionTokens: countAttribute(attributes, 'output_tokens') ?? 0,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: 0,
    reportedCostNanos: micros !== undefined ? micros * 1000 : usd !== undefined && usd >= 0 ? Math.round(usd * 1e9) : null,
    durationMs: countAttribute(attributes, 'duration_ms') ?? null,
  };
}

/**
 * Codex `codex.sse_event` with `event.kind=response.completed`: OpenAI usage, so input_token_count
 * includes the cached tokens. Codex logs that event twice, once when the event arrives (duration
 * only) and once with the usage; only the second is a model request. Codex sends neither a request
 * id nor a sequence number: the event's millisecond timestamp identifies it within the conversation.
 */
function codexCall(attributes: Attributes, timeMs: number): CallOrReason | null {
  if (stringAttribute(attributes, 'event.kind') !== 'response.completed') return null;
  const input = countAttribute(attributes, 'input_token_count');
  if (input === undefined) return null;
  const sessionId = stringAttribute(attributes, 'conversation.id');
  const model = stringAttribute(attributes, 'model');
  if (!sessionId || !model) return 'codex.sse_event response.completed without conversation.id or model';
  return {
    sessionId: sessionId.slice(0, MAX_ID_CHARS),
    callKey: `ts-${stringAttribute(attributes, 'event.timestamp') ?? timeMs}`.slice(0, MAX_ID_CHARS),
    model: model.slice(0, MAX_ID_CHARS),
    promptTokens: input,
    completionTokens: countAttribute(attributes, 'output_token_count') ?? 0,
    cacheReadTokens: countAttribute(attributes, 'cached_token_count') ?? 0,
    cacheWriteTokens: countAttribute(attributes, 'cache_write_token_count') ?? 0,
    reasoningTokens: countAttribute(attributes, 'reasoning_token_count') ?? 0,
    reportedCostNanos: null,
    durationMs: countAttribute(attributes, 'duration_ms') ?? null,
  };
}

/**
 * The model requests in an ExportLogsServiceRequest (OTLP/JSON shape). Other events — prompts,
 * responses, tool results, start-up phases — are accepted and dropped: their text is never read.
 * Records from a service that is not a known tool, or model requests missing what identifies them,
 * are rejected (OTLP partial success), so a misconfigured exporter hears about it.
 */
export function reportedCallsOf(request: Record<string, unknown>, now = Date.now()): MappedLogs {
  const mapped: MappedLogs = { calls: [], rejections: [], resources: [] };
  const resourceLogs = Array.isArray(request.resourceLogs) ? (request.resourceLogs as Record<string, unknown>[]) : [];
  for (const resourceLog of resourceLogs) {
    const resource = resourceOf(resourceLog?.resource);
    const sent = { resource, records: 0 };
    mapped.resources.push(sent);
    const scopeLogs = Array.isArray(resourceLog?.scopeLogs) ? (resourceLog.scopeLogs as Record<string, unknown>[]) : [];
    for (const scopeLog of scopeLogs) {
      const records = Array.isArray(scopeLog?.logRecords) ? (scopeLog.logRecords as Record<string, unknown>[]) : [];
      for (const record of records) {
        sent.records++;
        if (resource.tool === null) {
          mapped.rejections.push({
            resource,
            reason: `service.name "${resource.serviceName ?? ''}" is not a supported tool (claude-code, codex_exec, codex_cli_rs)`,
          });
          continue;
        }
        const attributes = attributesOf(record?.attributes);
        const timeMs = timeOf(record ?? {}, attributes, now);
        const event = eventNameOf((record ?? {}) as { body?: { stringValue?: unknown } }, attributes, resource.tool);
        const call =
          resource.tool === 'claude-code'
            ? event === 'claude_code.api_request'
              ? claudeCodeCall(attributes)
              : null
            : event === 'codex.sse_event'
              ? codexCall(attributes, timeMs)
              : null;
        if (call === null) continue;
        if (typeof call === 'string') mapped.rejections.push({ resource, reason: call });
        else mapped.calls.push({ ...call, resource, timeMs });
      }
    }
  }
  return mapped;
}
