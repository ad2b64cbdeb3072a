import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { RequestLogLine } from '@tollgate/logging';

/**
 * Nest's own start-up chatter — a line per module initialised and per route mapped, some sixty in
 * all — is logged at debug level, so the start-up banner (main.ts) is what an operator reads.
 * `LITELLM_LOG=DEBUG` shows it again.
 */
const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest calls info `log`; log stores expect `info`. */
const JSON_LEVEL: Record<LogLevel, string> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'verbose',
  fatal: 'fatal',
};

export class GatewayLogger extends ConsoleLogger {
  constructor(
    logLevels: LogLevel[],
    private readonly jsonLines = false,
  ) {
    super({ logLevels });
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && NEST_BOOT_CONTEXTS.has(context)) super.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): unknown {
    return super.stringifyMessage(message instanceof RequestLogLine ? message.toString() : message, logLevel);
  }

  /** `--json-logs`: one JSON object per line on stdout (LiteLLM's JSON_LOGS), whatever the level. */
  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    if (!this.jsonLines) return super.printMessages(messages, context, logLevel, writeStreamType, errorStack);
    for (const message of messages) {
      const line: Record<string, unknown> = { level: JSON_LEVEL[logLevel], time: new Date().toISOString() };
      if (message instanceof RequestLogLine) {
        line.message = message.message;
        line.request_id = message.requestId;
      } else {
        line.message = typeof message === 'string' ? message : message instanceof Error ? message.message : String(message);
      }
      if (context) line.context = context;
      if (typeof errorStack === 'string') line.stack = errorStack;
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
}

/** What the gateway prints: problems and its own lines; with `LITELLM_LOG=DEBUG` (LiteLLM's switch), everything. */
export function gatewayLogLevels(debug: boolean): LogLevel[] {
  return debug ? ['error', 'warn', 'log', 'debug', 'verbose'] : ['error', 'warn', 'log'];
}
