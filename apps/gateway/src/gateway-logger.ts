import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * Nest's own start-up chatter — a line per module initialised and per route mapped, some sixty in
 * all — is logged at debug level, so the start-up banner (main.ts) is what an operator reads.
 * `LITELLM_LOG=DEBUG` shows it again.
 */
const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

export class GatewayLogger extends ConsoleLogger {
  constructor(logLevels: LogLevel[]) {
    super({ logLevels });
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && NEST_BOOT_CONTEXTS.has(context)) super.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}

/** What the gateway prints: problems and its own lines; with `LITELLM_LOG=DEBUG` (LiteLLM's switch), everything. */
export function gatewayLogLevels(debug: boolean): LogLevel[] {
  return debug ? ['error', 'warn', 'log', 'debug', 'verbose'] : ['error', 'warn', 'log'];
}
