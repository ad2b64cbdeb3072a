import { join } from 'node:path';

import { Root, type Type } from 'protobufjs';

import { OtlpError, OtlpErrorCode } from './otlp.errors';

/** The two OTLP signals Tollgate receives. */
export type OtlpSignal = 'logs' | 'metrics';
export type OtlpEncoding = 'json' | 'protobuf';

/**
 * The official opentelemetry-proto definitions (v1.11.0, vendored under proto/), loaded once.
 * protobufjs decodes; `toObject` turns a message into the OTLP/JSON shape (lowerCamelCase fields,
 * 64-bit integers as decimal strings), so both encodings reach the mappers as the same object.
 */
const root = new Root();
root.resolvePath = (_origin, target) => join(__dirname, 'proto', target);
root.loadSync(
  [
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
    'google/rpc/status.proto',
  ],
  {
    keepCase: false,
  },
);

const REQUEST: Record<OtlpSignal, Type> = {
  logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
};
const RESPONSE: Record<OtlpSignal, Type> = {
  logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
};
const STATUS = root.lookupType('google.rpc.Status');

/** The encoding named by a Content-Type (OTLP/HTTP knows only these two); undefined for anything else. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  return undefined;
}

export function contentTypeOf(encoding: OtlpEncoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** An export request as a plain object in the OTLP/JSON shape. */
export function decodeExportRequest(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): Record<string, unknown> {
  if (encoding === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw undecodable(`The body is not valid JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw undecodable('The body is not an OTLP export request (a JSON object)');
    return value as Record<string, unknown>;
  }
  try {
    const message = REQUEST[signal].decode(body);
    return REQUEST[signal].toObject(message, { longs: String, enums: Number, bytes: String, arrays: true, defaults: false }) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw undecodable(`The body is not an OTLP ${signal} export request in protobuf: ${(error as Error).message}`);
  }
}

/**
 * ExportLogsServiceResponse / ExportMetricsServiceResponse. `partialSuccess` only when something was
 * rejected: a fully accepted export answers an empty message, as the specification asks.
 */
export function encodeExportResponse(signal: OtlpSignal, encoding: OtlpEncoding, rejected: number, errorMessage: string): Buffer | string {
  const field = signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
  const body = rejected > 0 || errorMessage !== '' ? { partialSuccess: { [field]: rejected, errorMessage } } : {};
  if (encoding === 'json') {
    // OTLP/JSON writes 64-bit integers as decimal strings.
    return JSON.stringify(rejected > 0 || errorMessage !== '' ? { partialSuccess: { [field]: String(rejected), errorMessage } } : {});
  }
  return Buffer.from(RESPONSE[signal].encode(RESPONSE[signal].fromObject(body)).finish());
}

/** google.rpc.Status, the body of every OTLP/HTTP error answer. */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): Buffer | string {
  if (encoding === 'json') return JSON.stringify({ code, message });
  return Buffer.from(STATUS.encode(STATUS.fromObject({ code, message })).finish());
}

/** A body that is not an OTLP export request in the declared encoding: answered 400, not retried. */
function undecodable(message: string): OtlpError {
  return new OtlpError(OtlpErrorCode.UNDECODABLE, message);
}
