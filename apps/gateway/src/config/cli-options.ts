import { ConfigError } from './config.errors';

export interface CliOptions {
  configPath: string;
  port: number;
  host: string;
  envFile?: string;
  /** Processes serving the port (`node:cluster`); 1 runs the gateway in this process, with no cluster. */
  numWorkers: number;
  /** LiteLLM's `--json_logs`: one JSON object per log line (also `JSON_LOGS=true`). */
  jsonLogs: boolean;
  help: boolean;
}

/** Far more than the cores of any machine a gateway runs on: a typo, not a plan. */
const MAX_WORKERS = 64;

export const USAGE = `Usage: npm start -- [options]

  --config <path>     LiteLLM-format config.yaml   (env CONFIG_FILE_PATH, default ./config.yaml)
  --port <n>          port to listen on             (env PORT, default 4000)
  --host <addr>       address to bind               (env HOST, default 0.0.0.0)
  --env-file <path>   environment file to load      (env ENV_FILE, default ./.env when present)
  --num_workers <n>   processes sharing the port    (env NUM_WORKERS, default 1; one per core)
  --json-logs         one JSON object per log line  (env JSON_LOGS=true)
  --help              show this help

  DATABASE_URL: unset → SQLite in data/; sqlite:<path>; postgres://… or postgresql://…`;

/** LiteLLM's start-up flags (`--config`, `--port`, `--num_workers`), so existing habits and scripts carry over. */
export function parseCliOptions(argv: string[], env: Record<string, string | undefined>): CliOptions {
  const flags = new Map<string, string>();
  let help = false;
  let jsonLogs = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--json-logs' || arg === '--json_logs') {
      jsonLogs = true;
      continue;
    }
    const match = /^--(config|port|host|env-file|num_workers)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ConfigError([`${arg}: unknown option (see --help)`]);
    const value = match[2] ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new ConfigError([`--${match[1]}: needs a value`]);
    flags.set(match[1], value);
  }
  const portText = flags.get('port') ?? env.PORT ?? '4000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`--port: must be a port number, got "${portText}"`]);
  const workersText = flags.get('num_workers') ?? env.NUM_WORKERS ?? '1';
  const numWorkers = Number(workersText);
  if (!Number.isInteger(numWorkers) || numWorkers < 1 || numWorkers > MAX_WORKERS) {
    throw new ConfigError([`--num_workers: must be a whole number from 1 to ${MAX_WORKERS}, got "${workersText}"`]);
  }
  return {
    configPath: flags.get('config') ?? env.CONFIG_FILE_PATH ?? 'config.yaml',
    port,
    host: flags.get('host') ?? env.HOST ?? '0.0.0.0',
    envFile: flags.get('env-file') ?? env.ENV_FILE,
    numWorkers,
    jsonLogs,
    help,
  };
}
