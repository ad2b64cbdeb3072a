import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ALERT_TYPES, type AlertSettings, type AlertType, type AlertWebhook, DEFAULT_BUDGET_THRESHOLDS } from '@tollgate/alerts';
import { usdToNanos } from '@tollgate/budgets';
import type { Deployment, ProviderName, TokenPrices } from '@tollgate/providers';
import type { RoutingSettings, RoutingStrategy } from '@tollgate/routing';
import { parse as parseYaml, YAMLParseError } from 'yaml';

import { ConfigError } from './config.errors';
import type { DatabaseTarget, GatewayConfig, UiCredentials } from './gateway-config';

/**
 * Loads a LiteLLM proxy `config.yaml` unchanged. Field names are LiteLLM's; values are checked
 * here once so nothing downstream has to doubt them. Every problem names its exact path.
 * https://docs.litellm.ai/docs/proxy/configs
 */

type Env = Record<string, string | undefined>;

export interface LoadedConfig {
  config: GatewayConfig;
  /** Keys present in the file that Tollgate does not use: reported once at start-up. */
  ignoredKeys: string[];
  /** `os.environ/NAME` references whose variable is not set. */
  missingEnv: string[];
  /** Settings that are valid but probably not what was meant: reported once at start-up. */
  warnings: string[];
}

const PROVIDER_PREFIXES: Record<string, ProviderName> = {
  ollama: 'ollama',
  ollama_chat: 'ollama',
  anthropic: 'anthropic',
  openai: 'openai',
};

const DEFAULT_API_BASE: Record<ProviderName, (env: Env) => string> = {
  ollama: (env) => env.OLLAMA_API_BASE || env.OLLAMA_BASE_URL || 'http://localhost:11434',
  anthropic: (env) => env.ANTHROPIC_API_BASE || env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com',
  openai: (env) => env.OPENAI_API_BASE || env.OPENAI_BASE_URL || 'https://api.openai.com/v1',
};

const DEFAULT_API_KEY_ENV: Partial<Record<ProviderName, string>> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
};

const DEFAULT_TIMEOUT_SECONDS = 600;

const KNOWN_TOP_LEVEL = new Set(['model_list', 'router_settings', 'general_settings', 'litellm_settings', 'environment_variables']);
const KNOWN_ENTRY = new Set(['model_name', 'litellm_params', 'model_info']);
const KNOWN_PARAMS = new Set([
  'model',
  'api_base',
  'api_key',
  'timeout',
  'stream_timeout',
  'rpm',
  'tpm',
  'input_cost_per_token',
  'output_cost_per_token',
  'cache_read_input_token_cost',
  'cache_creation_input_token_cost',
  'max_tokens',
]);
const KNOWN_ROUTER = new Set(['fallbacks', 'num_retries', 'timeout', 'allowed_fails', 'cooldown_time', 'routing_strategy']);
const KNOWN_GENERAL = new Set([
  'master_key',
  'database_url',
  'use_x_forwarded_for',
  'alerting',
  'alert_types',
  'alerting_webhooks',
  'alerting_args',
]);
/** LiteLLM's logging integrations: `callbacks: ["prometheus"]` is how its users switch /metrics on. */
const CALLBACK_KEYS = ['callbacks', 'success_callback', 'failure_callback'] as const;
const KNOWN_LITELLM = new Set([
  'fallbacks',
  'num_retries',
  'request_timeout',
  'drop_params',
  'require_auth_for_metrics_endpoint',
  ...CALLBACK_KEYS,
]);
const ROUTING_STRATEGIES = new Set(['simple-shuffle', 'least-busy']);

class Checker {
  readonly problems: string[] = [];
  readonly ignoredKeys: string[] = [];
  readonly missingEnv = new Set<string>();

  constructor(private readonly env: Env) {}

  fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  object(value: unknown, path: string, known?: Set<string>): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return this.fail(path, `must be a mapping, got ${describe(value)}`);
    const record = value as Record<string, unknown>;
    if (known) {
      for (const key of Object.keys(record)) if (!known.has(key)) this.ignoredKeys.push(path ? `${path}.${key}` : key);
    }
    return record;
  }

  /** Resolves LiteLLM's `os.environ/NAME` indirection; an unset variable reads as absent, as in LiteLLM. */
  resolve(value: unknown): unknown {
    if (typeof value === 'string' && value.startsWith('os.environ/')) {
      const name = value.slice('os.environ/'.length);
      const resolved = this.env[name];
      if (resolved === undefined || resolved === '') {
        this.missingEnv.add(name);
        return undefined;
      }
      return resolved;
    }
    return value;
  }

  string(raw: unknown, path: string): string | undefined {
    const value = this.resolve(raw);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') return this.fail(path, `must be a string, got ${describe(value)}`);
    return value;
  }

  number(raw: unknown, path: string, opts: { integer?: boolean; min?: number; exclusiveMin?: boolean } = {}): number | undefined {
    let value = this.resolve(raw);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) value = Number(value);
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(path, `must be a number, got ${describe(value)}`);
    if (opts.integer && !Number.isInteger(value)) return this.fail(path, `must be a whole number, got ${value}`);
    const min = opts.min ?? 0;
    if (opts.exclusiveMin ? value <= min : value < min)
      return this.fail(path, `must be ${opts.exclusiveMin ? 'greater than' : 'at least'} ${min}, got ${value}`);
    return value;
  }

  boolean(raw: unknown, path: string): boolean | undefined {
    const value = this.resolve(raw);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
    return this.fail(path, `must be true or false, got ${describe(value)}`);
  }

  url(raw: unknown, path: string): string | undefined {
    const value = this.string(raw, path);
    if (value === undefined) return undefined;
    // The value is not echoed: a webhook URL is a credential (a Slack URL's path is its secret).
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return this.fail(path, 'must be an http(s) URL, got something that is not a URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      return this.fail(path, `must be an http(s) URL, got a ${parsed.protocol.slice(0, 16)} URL`);
    if (parsed.username || parsed.password) return this.fail(path, 'must not embed credentials; use api_key');
    return value.replace(/\/+$/, '');
  }
}

export function loadLiteLLMConfig(configPath: string, env: Env = process.env): LoadedConfig {
  const absolutePath = resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `${configPath}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    ]);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const position = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError([`${configPath}: not valid YAML${position}: ${(error as Error).message.split('\n')[0]}`]);
  }
  return parseLiteLLMConfig(document ?? {}, absolutePath, env);
}

export function parseLiteLLMConfig(document: unknown, configPath: string, env: Env = process.env): LoadedConfig {
  const effectiveEnv = withConfigEnvironment(env, (document as Record<string, unknown> | null)?.environment_variables);
  const checker = new Checker(effectiveEnv);
  const root = checker.object(document, '', KNOWN_TOP_LEVEL) ?? {};
  checker.object(root.environment_variables, 'environment_variables');

  const router = checker.object(root.router_settings, 'router_settings', KNOWN_ROUTER) ?? {};
  const general = checker.object(root.general_settings, 'general_settings', KNOWN_GENERAL) ?? {};
  const litellm = checker.object(root.litellm_settings, 'litellm_settings', KNOWN_LITELLM) ?? {};

  const defaultTimeoutSeconds =
    checker.number(router.timeout, 'router_settings.timeout', { exclusiveMin: true }) ??
    checker.number(litellm.request_timeout, 'litellm_settings.request_timeout', { exclusiveMin: true }) ??
    DEFAULT_TIMEOUT_SECONDS;

  const deployments = parseModelList(checker, root.model_list, effectiveEnv, defaultTimeoutSeconds);
  const aliases = new Set(deployments.map((d) => d.alias));

  const fallbacks = {
    ...parseFallbacks(checker, litellm.fallbacks, 'litellm_settings.fallbacks', aliases),
    ...parseFallbacks(checker, router.fallbacks, 'router_settings.fallbacks', aliases),
  };

  const strategy = checker.string(router.routing_strategy, 'router_settings.routing_strategy') ?? 'simple-shuffle';
  if (!ROUTING_STRATEGIES.has(strategy)) {
    checker.fail(
      'router_settings.routing_strategy',
      `unsupported strategy "${strategy}" (supported: ${[...ROUTING_STRATEGIES].join(', ')})`,
    );
  }

  const routing: RoutingSettings = {
    fallbacks,
    numRetries:
      checker.number(router.num_retries, 'router_settings.num_retries', { integer: true }) ??
      checker.number(litellm.num_retries, 'litellm_settings.num_retries', { integer: true }) ??
      2,
    allowedFails: checker.number(router.allowed_fails, 'router_settings.allowed_fails', { integer: true, min: 1 }) ?? 3,
    cooldownMs: (checker.number(router.cooldown_time, 'router_settings.cooldown_time') ?? 5) * 1000,
    strategy: strategy as RoutingStrategy,
  };

  // As in LiteLLM, LITELLM_MASTER_KEY applies when the config names no master key.
  const masterKey = checker.string(general.master_key, 'general_settings.master_key') ?? (effectiveEnv.LITELLM_MASTER_KEY || undefined);
  if (masterKey !== undefined && masterKey.trim() === '') checker.fail('general_settings.master_key', 'must not be empty');

  const trustForwardedFor = checker.boolean(general.use_x_forwarded_for, 'general_settings.use_x_forwarded_for') ?? false;

  const databaseUrl = effectiveEnv.DATABASE_URL || checker.string(general.database_url, 'general_settings.database_url');
  const database = parseDatabaseUrl(checker, databaseUrl);

  const requireMetricsAuth =
    checker.boolean(litellm.require_auth_for_metrics_endpoint, 'litellm_settings.require_auth_for_metrics_endpoint') ?? true;

  const warnings: string[] = [];
  checkCallbacks(checker, litellm, warnings);
  const alerting = parseAlerting(checker, general, effectiveEnv, warnings);
  const jsonLogs = checker.boolean(effectiveEnv.JSON_LOGS, 'JSON_LOGS') ?? false;
  const uiCredentials = parseUiCredentials(effectiveEnv, warnings);

  if (checker.problems.length > 0) throw new ConfigError(checker.problems);
  return {
    config: {
      configPath,
      deployments,
      routing,
      masterKey,
      database: database!,
      redisUrl: effectiveEnv.REDIS_URL || undefined,
      maxRequestBytes: 20 * 1024 * 1024,
      shutdownGraceMs: 30_000,
      streamKeepAliveMs: Number(effectiveEnv.TOLLGATE_STREAM_KEEPALIVE_MS) || 15_000,
      trustForwardedFor,
      // LiteLLM's NO_DOCS=True switches the API docs off.
      docsEnabled: !/^(true|1|yes)$/i.test(effectiveEnv.NO_DOCS?.trim() ?? ''),
      debugLogs: effectiveEnv.LITELLM_LOG?.trim().toUpperCase() === 'DEBUG',
      jsonLogs,
      accessLog: checker.boolean(effectiveEnv.TOLLGATE_ACCESS_LOG, 'TOLLGATE_ACCESS_LOG') ?? jsonLogs,
      uiCredentials,
      alerting,
      metrics: { requireAuth: requireMetricsAuth, apiKey: effectiveEnv.PROMETHEUS_API_KEY?.trim() || null },
    },
    ignoredKeys: checker.ignoredKeys,
    missingEnv: [...checker.missingEnv],
    warnings,
  };
}

/**
 * Alert webhooks. LiteLLM's switches: `alerting: ["slack"]` posts Slack messages to SLACK_WEBHOOK_URL,
 * `alerting: ["webhook"]` posts JSON events to WEBHOOK_URL; `alert_types` narrows what is sent.
 * Tollgate's own: `alerting_webhooks` (more URLs, each `json` or `slack`) and
 * `alerting_args.budget_alert_thresholds` (fractions of the budget, default 0.8 and 1).
 * https://docs.litellm.ai/docs/proxy/alerting
 */
function parseAlerting(check: Checker, general: Record<string, unknown>, env: Env, warnings: string[]): AlertSettings {
  const webhooks: AlertWebhook[] = [];
  const channels = stringList(check, general.alerting, 'general_settings.alerting') ?? [];
  for (const channel of channels) {
    const variable = channel === 'slack' ? 'SLACK_WEBHOOK_URL' : channel === 'webhook' ? 'WEBHOOK_URL' : undefined;
    if (!variable) {
      warnings.push(`general_settings.alerting: "${channel}" is not supported by Tollgate (supported: slack, webhook); ignored`);
      continue;
    }
    const url = check.url(env[variable], variable);
    if (url === undefined) check.fail('general_settings.alerting', `"${channel}" needs ${variable} to be set to the webhook's URL`);
    else webhooks.push({ url, format: channel === 'slack' ? 'slack' : 'json' });
  }
  const listed = general.alerting_webhooks;
  if (listed !== undefined && listed !== null && !Array.isArray(listed)) {
    check.fail('general_settings.alerting_webhooks', `must be a list of {url, format} mappings, got ${describe(listed)}`);
  } else {
    (listed ?? []).forEach((item: unknown, index: number) => {
      const path = `general_settings.alerting_webhooks[${index}]`;
      const entry = check.object(item, path, new Set(['url', 'format']));
      if (!entry) return;
      const url = check.url(entry.url, `${path}.url`);
      if (url === undefined) check.fail(`${path}.url`, 'is required');
      const format = check.string(entry.format, `${path}.format`) ?? 'json';
      if (format !== 'json' && format !== 'slack') check.fail(`${path}.format`, `must be json or slack, got "${format}"`);
      else if (url !== undefined) webhooks.push({ url, format });
    });
  }
  const types = stringList(check, general.alert_types, 'general_settings.alert_types');
  const alertTypes = new Set<AlertType>(types ? [] : ALERT_TYPES);
  for (const type of types ?? []) {
    if ((ALERT_TYPES as readonly string[]).includes(type)) alertTypes.add(type as AlertType);
    else warnings.push(`general_settings.alert_types: "${type}" is not sent by Tollgate (it sends ${ALERT_TYPES.join(', ')}); ignored`);
  }
  const args = check.object(general.alerting_args, 'general_settings.alerting_args', new Set(['budget_alert_thresholds'])) ?? {};
  return { webhooks, alertTypes, budgetThresholds: parseThresholds(check, args.budget_alert_thresholds) };
}

function parseThresholds(check: Checker, raw: unknown): number[] {
  const path = 'general_settings.alerting_args.budget_alert_thresholds';
  if (raw === undefined || raw === null) return DEFAULT_BUDGET_THRESHOLDS;
  if (!Array.isArray(raw) || raw.length === 0) {
    check.fail(path, `must be a non-empty list of fractions of the budget, e.g. [0.8, 1], got ${describe(raw)}`);
    return DEFAULT_BUDGET_THRESHOLDS;
  }
  const thresholds = raw
    .map((value, index) => check.number(value, `${path}[${index}]`, { exclusiveMin: true }))
    .filter((value): value is number => value !== undefined);
  for (const value of thresholds) if (value > 1) check.fail(path, `${value} is above 1 (thresholds are fractions: 0.8 is 80 %)`);
  return [...new Set(thresholds)].sort((a, b) => a - b);
}

/** Tollgate's /metrics is always on, so "prometheus" asks for nothing more; other integrations are not built in. */
function checkCallbacks(check: Checker, litellm: Record<string, unknown>, warnings: string[]): void {
  for (const key of CALLBACK_KEYS) {
    const path = `litellm_settings.${key}`;
    for (const callback of stringList(check, litellm[key], path) ?? []) {
      if (callback !== 'prometheus')
        warnings.push(`${path}: "${callback}" is not supported by Tollgate (only prometheus: /metrics); ignored`);
    }
  }
}

function stringList(check: Checker, raw: unknown, path: string): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) return check.fail(path, `must be a list, got ${describe(raw)}`);
  return raw.map((item, index) => check.string(item, `${path}[${index}]`)).filter((item): item is string => item !== undefined);
}

/** UI_USERNAME / UI_PASSWORD (LiteLLM's names). Only one of them set is ignored, loudly. */
function parseUiCredentials(env: Env, warnings: string[]): UiCredentials | null {
  const username = env.UI_USERNAME?.trim() ?? '';
  const password = env.UI_PASSWORD ?? '';
  if (username && password) return { username, password };
  if (username || password)
    warnings.push(
      `${username ? 'UI_PASSWORD' : 'UI_USERNAME'} is not set; dashboard login falls back to the master key until both are set`,
    );
  return null;
}

/** LiteLLM's `environment_variables:` block provides variables, but the real environment wins. */
function withConfigEnvironment(env: Env, block: unknown): Env {
  if (!block || typeof block !== 'object' || Array.isArray(block)) return env;
  const merged: Env = { ...env };
  for (const [name, value] of Object.entries(block)) {
    if (merged[name] === undefined && value !== null && value !== undefined) merged[name] = String(value);
  }
  return merged;
}

function parseModelList(check: Checker, raw: unknown, env: Env, defaultTimeoutSeconds: number): Deployment[] {
  if (raw === undefined || raw === null) {
    check.fail('model_list', 'is required: list at least one model');
    return [];
  }
  if (!Array.isArray(raw)) {
    check.fail('model_list', `must be a list, got ${describe(raw)}`);
    return [];
  }
  const deployments: Deployment[] = [];
  raw.forEach((item, index) => {
    const path = `model_list[${index}]`;
    const entry = check.object(item, path, KNOWN_ENTRY);
    if (!entry) {
      if (item === null || item === undefined) check.fail(path, 'is empty');
      return;
    }
    const alias = check.string(entry.model_name, `${path}.model_name`);
    if (alias === undefined || alias.trim() === '') check.fail(`${path}.model_name`, 'is required');
    const params = check.object(entry.litellm_params, `${path}.litellm_params`, KNOWN_PARAMS);
    if (!params) {
      if (entry.litellm_params === undefined) check.fail(`${path}.litellm_params`, 'is required');
      return;
    }
    const modelPath = `${path}.litellm_params.model`;
    const model = check.string(params.model, modelPath);
    if (model === undefined) {
      check.fail(modelPath, 'is required, as "<provider>/<model>"');
      return;
    }
    const slash = model.indexOf('/');
    if (slash <= 0 || slash === model.length - 1) {
      check.fail(modelPath, `must be "<provider>/<model>" (providers: ${Object.keys(PROVIDER_PREFIXES).join(', ')}), got "${model}"`);
      return;
    }
    const prefix = model.slice(0, slash);
    const provider = PROVIDER_PREFIXES[prefix];
    if (!provider) {
      check.fail(modelPath, `unknown provider "${prefix}" (supported: ${Object.keys(PROVIDER_PREFIXES).join(', ')})`);
      return;
    }
    const p = `${path}.litellm_params`;
    const timeoutSeconds = check.number(params.timeout, `${p}.timeout`, { exclusiveMin: true }) ?? defaultTimeoutSeconds;
    const streamTimeoutSeconds = check.number(params.stream_timeout, `${p}.stream_timeout`, { exclusiveMin: true }) ?? timeoutSeconds;
    const apiKeyEnv = DEFAULT_API_KEY_ENV[provider];
    const info = check.object(entry.model_info, `${path}.model_info`);
    const prices = compact<TokenPrices>({
      inputPerToken: nanosOrUndefined(check.number(params.input_cost_per_token, `${p}.input_cost_per_token`)),
      outputPerToken: nanosOrUndefined(check.number(params.output_cost_per_token, `${p}.output_cost_per_token`)),
      cacheReadPerToken: nanosOrUndefined(check.number(params.cache_read_input_token_cost, `${p}.cache_read_input_token_cost`)),
      cacheWritePerToken: nanosOrUndefined(check.number(params.cache_creation_input_token_cost, `${p}.cache_creation_input_token_cost`)),
    });
    deployments.push(
      compact<Deployment>({
        id: `${alias}#${index}`,
        alias: alias ?? '',
        provider,
        model: model.slice(slash + 1),
        apiBase: check.url(params.api_base, `${p}.api_base`) ?? DEFAULT_API_BASE[provider](env),
        apiKey: check.string(params.api_key, `${p}.api_key`) ?? (apiKeyEnv ? env[apiKeyEnv] || undefined : undefined),
        timeoutMs: timeoutSeconds * 1000,
        streamTimeoutMs: streamTimeoutSeconds * 1000,
        maxTokens: check.number(params.max_tokens, `${p}.max_tokens`, { integer: true, min: 1 }),
        rpm: check.number(params.rpm, `${p}.rpm`, { integer: true, min: 1 }),
        tpm: check.number(params.tpm, `${p}.tpm`, { integer: true, min: 1 }),
        prices: Object.keys(prices).length > 0 ? prices : undefined,
        maxInputTokens: check.number(info?.max_input_tokens, `${path}.model_info.max_input_tokens`, { integer: true, min: 1 }),
        maxOutputTokens: check.number(info?.max_output_tokens, `${path}.model_info.max_output_tokens`, { integer: true, min: 1 }),
        modelInfo: info,
      }),
    );
  });
  return deployments;
}

/** LiteLLM's `fallbacks: [{"alias": ["other", …]}, …]`. */
function parseFallbacks(check: Checker, raw: unknown, path: string, aliases: Set<string>): Record<string, string[]> {
  const fallbacks: Record<string, string[]> = {};
  if (raw === undefined || raw === null) return fallbacks;
  if (!Array.isArray(raw)) {
    check.fail(path, `must be a list of {"alias": ["fallback", …]} mappings, got ${describe(raw)}`);
    return fallbacks;
  }
  raw.forEach((item, index) => {
    const entry = check.object(item, `${path}[${index}]`);
    if (!entry) return;
    for (const [alias, targets] of Object.entries(entry)) {
      const entryPath = `${path}[${index}].${alias}`;
      if (!aliases.has(alias)) check.fail(entryPath, `"${alias}" is not a model_name in model_list`);
      const list = Array.isArray(targets) ? targets : [targets];
      const names: string[] = [];
      list.forEach((target, i) => {
        if (typeof target !== 'string') check.fail(`${entryPath}[${i}]`, `must be a model_name, got ${describe(target)}`);
        else if (!aliases.has(target)) check.fail(`${entryPath}[${i}]`, `"${target}" is not a model_name in model_list`);
        else names.push(target);
      });
      fallbacks[alias] = names;
    }
  });
  return fallbacks;
}

function parseDatabaseUrl(check: Checker, url: string | undefined): DatabaseTarget | undefined {
  if (url === undefined || url === '') return { type: 'sqlite', path: resolve('data', 'tollgate.sqlite') };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') return check.fail('DATABASE_URL', 'sqlite: needs a path, e.g. sqlite:data/tollgate.sqlite');
    return { type: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { type: 'postgres', url };
  return check.fail('DATABASE_URL', 'must start with sqlite:, postgres:// or postgresql://');
}

function nanosOrUndefined(usd: number | undefined): number | undefined {
  return usd === undefined ? undefined : usdToNanos(usd);
}

function compact<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
