import { resolve } from 'node:path';

import { ConfigError } from './config.errors';
import { loadLiteLLMConfig, parseLiteLLMConfig } from './litellm-config.loader';

function problemsOf(document: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseLiteLLMConfig(document, 'config.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const minimal = (params: Record<string, unknown>) => ({ model_list: [{ model_name: 'a', litellm_params: params }] });

describe('LiteLLM config loader', () => {
  it('loads the shipped config.yaml unchanged, with the seed aliases and fallbacks', () => {
    const { config, ignoredKeys } = loadLiteLLMConfig(resolve(__dirname, '../../../../config.yaml'), {
      OLLAMA_API_BASE: 'http://127.0.0.1:11434',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      LITELLM_MASTER_KEY: 'sk-master-test',
    });
    expect(ignoredKeys).toEqual([]);
    expect(config.deployments.map((d) => d.alias)).toEqual([
      'local-coding',
      'local-coding-fast',
      'local-general',
      'local-fast',
      'local-compact',
      'qwen2.5-coder:14b',
      'deepseek-coder-v2:lite',
      'mistral:7b',
      'gemma2:2b',
      'claude-sonnet-4-6',
      'claude-opus-4-6',
      'claude-haiku-4-5',
      'gpt-4o',
      'gpt-4o-mini',
    ]);
    expect(config.deployments[0]).toMatchObject({ provider: 'ollama', model: 'qwen2.5-coder:14b', apiBase: 'http://127.0.0.1:11434' });
    expect(config.deployments[9]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
      apiBase: 'https://api.anthropic.com',
      apiKey: 'sk-ant-test',
    });
    expect(config.deployments[12]).toMatchObject({ provider: 'openai', model: 'gpt-4o', apiBase: 'https://api.openai.com/v1' });
    expect(config.routing.fallbacks).toEqual({
      'local-coding': ['claude-sonnet-4-6'],
      'local-general': ['claude-haiku-4-5'],
      'local-fast': ['claude-haiku-4-5'],
    });
    expect(config.masterKey).toBe('sk-master-test');
    expect(config.database).toEqual({ type: 'sqlite', path: resolve('data', 'tollgate.sqlite') });
  });

  it('names the exact field of an unknown provider', () => {
    const doc = {
      model_list: [0, 1, 2, 3].map((i) => ({ model_name: `m${i}`, litellm_params: { model: i === 3 ? 'olama/llama3' : 'openai/gpt-4o' } })),
    };
    expect(problemsOf(doc)).toEqual([
      'model_list[3].litellm_params.model: unknown provider "olama" (supported: ollama, ollama_chat, anthropic, openai)',
    ]);
  });

  it('reports every problem at once, each with its path', () => {
    const problems = problemsOf({
      model_list: [
        { model_name: 'a', litellm_params: { model: 'openai/gpt-4o', timeout: 'soon', api_base: 'ftp://x' } },
        { litellm_params: { model: 'openai/x', rpm: 1.5 } },
        { model_name: 'c', litellm_params: { model: 'gpt-4o' } },
      ],
      router_settings: { fallbacks: [{ a: ['missing'] }], num_retries: -1 },
    });
    expect(problems).toEqual([
      'model_list[0].litellm_params.timeout: must be a number, got string "soon"',
      'model_list[0].litellm_params.api_base: must be an http(s) URL, got a ftp: URL',
      'model_list[1].model_name: is required',
      'model_list[1].litellm_params.rpm: must be a whole number, got 1.5',
      'model_list[2].litellm_params.model: must be "<provider>/<model>" (providers: ollama, ollama_chat, anthropic, openai), got "gpt-4o"',
      'router_settings.fallbacks[0].a[0]: "missing" is not a model_name in model_list',
      'router_settings.num_retries: must be at least 0, got -1',
    ]);
  });

  it('resolves os.environ/ references, and config environment_variables never override the real environment', () => {
    const { config, missingEnv } = parseLiteLLMConfig(
      {
        environment_variables: { BASE: 'http://from-config:1', KEY: 'from-config' },
        model_list: [
          {
            model_name: 'a',
            litellm_params: { model: 'openai/m', api_base: 'os.environ/BASE', api_key: 'os.environ/KEY', timeout: 'os.environ/T' },
          },
        ],
      },
      'c',
      { KEY: 'from-env', T: '12' },
    );
    expect(config.deployments[0]).toMatchObject({ apiBase: 'http://from-config:1', apiKey: 'from-env', timeoutMs: 12_000 });
    expect(missingEnv).toEqual([]);
  });

  it('lists keys it does not use instead of failing on them', () => {
    const { ignoredKeys } = parseLiteLLMConfig(
      {
        ...minimal({ model: 'openai/m', weird: 1 }),
        litellm_settings: { drop_params: true, cache: true },
        extra_top: {},
      },
      'c',
      {},
    );
    expect(ignoredKeys).toEqual(['extra_top', 'litellm_settings.cache', 'model_list[0].litellm_params.weird']);
  });

  it('takes callbacks: ["prometheus"] (how LiteLLM users switch metrics on) without a word, and warns about other callbacks', () => {
    const quiet = parseLiteLLMConfig({ ...minimal({ model: 'openai/m' }), litellm_settings: { callbacks: ['prometheus'] } }, 'c', {});
    expect(quiet.ignoredKeys).toEqual([]);
    expect(quiet.warnings).toEqual([]);
    const mixed = parseLiteLLMConfig(
      {
        ...minimal({ model: 'openai/m' }),
        litellm_settings: { success_callback: ['prometheus', 'langfuse'], failure_callback: ['prometheus'] },
      },
      'c',
      {},
    );
    expect(mixed.ignoredKeys).toEqual([]);
    expect(mixed.warnings).toEqual([
      'litellm_settings.success_callback: "langfuse" is not supported by Tollgate (only prometheus: /metrics); ignored',
    ]);
    expect(() => parseLiteLLMConfig({ ...minimal({ model: 'openai/m' }), litellm_settings: { callbacks: 'prometheus' } }, 'c', {})).toThrow(
      'litellm_settings.callbacks: must be a list, got',
    );
  });

  it('converts per-token USD prices to exact nano-dollars', () => {
    const { config } = parseLiteLLMConfig(
      minimal({ model: 'openai/m', input_cost_per_token: 0.000003, output_cost_per_token: 1.5e-5, cache_read_input_token_cost: 7.5e-8 }),
      'c',
      {},
    );
    expect(config.deployments[0].prices).toEqual({ inputPerToken: 3000, outputPerToken: 15000, cacheReadPerToken: 75 });
  });

  it('accepts LiteLLM fallbacks from litellm_settings too, router_settings winning per alias', () => {
    const { config } = parseLiteLLMConfig(
      {
        model_list: ['a', 'b', 'c'].map((name) => ({ model_name: name, litellm_params: { model: `openai/${name}` } })),
        litellm_settings: { fallbacks: [{ a: ['b'] }, { b: ['c'] }] },
        router_settings: { fallbacks: [{ a: ['c', 'b'] }] },
      },
      'c',
      {},
    );
    expect(config.routing.fallbacks).toEqual({ a: ['c', 'b'], b: ['c'] });
  });

  it('takes the master key from general_settings, else from LITELLM_MASTER_KEY', () => {
    const doc = minimal({ model: 'openai/m' });
    expect(parseLiteLLMConfig(doc, 'c', { LITELLM_MASTER_KEY: 'sk-from-env-123' }).config.masterKey).toBe('sk-from-env-123');
    expect(
      parseLiteLLMConfig({ ...doc, general_settings: { master_key: 'sk-from-config' } }, 'c', { LITELLM_MASTER_KEY: 'sk-from-env-123' })
        .config.masterKey,
    ).toBe('sk-from-config');
    expect(parseLiteLLMConfig(doc, 'c', {}).config.masterKey).toBeUndefined();
  });

  it("loads LiteLLM's documented example master key sk-1234 (the length warning comes at start-up)", () => {
    const doc = minimal({ model: 'openai/m' });
    expect(parseLiteLLMConfig({ ...doc, general_settings: { master_key: 'sk-1234' } }, 'c', {}).config.masterKey).toBe('sk-1234');
    expect(() => parseLiteLLMConfig({ ...doc, general_settings: { master_key: '  ' } }, 'c', {})).toThrow(
      /general_settings.master_key: must not be empty/,
    );
  });

  it('trusts X-Forwarded-For only with general_settings.use_x_forwarded_for, and turns /docs off with NO_DOCS=True', () => {
    const doc = minimal({ model: 'openai/m' });
    expect(parseLiteLLMConfig(doc, 'c', {}).config).toMatchObject({ trustForwardedFor: false, docsEnabled: true });
    expect(parseLiteLLMConfig({ ...doc, general_settings: { use_x_forwarded_for: true } }, 'c', {}).config.trustForwardedFor).toBe(true);
    expect(
      parseLiteLLMConfig({ ...doc, general_settings: { use_x_forwarded_for: 'os.environ/BEHIND_PROXY' } }, 'c', { BEHIND_PROXY: 'True' })
        .config.trustForwardedFor,
    ).toBe(true);
    expect(() => parseLiteLLMConfig({ ...doc, general_settings: { use_x_forwarded_for: 'yes please' } }, 'c', {})).toThrow(
      /use_x_forwarded_for: must be true or false/,
    );
    expect(parseLiteLLMConfig(doc, 'c', { NO_DOCS: 'True' }).config.docsEnabled).toBe(false);
    expect(parseLiteLLMConfig(doc, 'c', { NO_DOCS: 'False' }).config.docsEnabled).toBe(true);
  });

  it('takes dashboard credentials from UI_USERNAME and UI_PASSWORD together, and warns when only one is set', () => {
    const doc = minimal({ model: 'openai/m' });
    expect(parseLiteLLMConfig(doc, 'c', { UI_USERNAME: ' ops ', UI_PASSWORD: 'pw' }).config.uiCredentials).toEqual({
      username: 'ops',
      password: 'pw',
    });
    expect(
      parseLiteLLMConfig({ ...doc, environment_variables: { UI_USERNAME: 'ops', UI_PASSWORD: 'pw' } }, 'c', {}).config.uiCredentials,
    ).toEqual({ username: 'ops', password: 'pw' });
    const half = parseLiteLLMConfig(doc, 'c', { UI_USERNAME: 'ops' });
    expect(half.config.uiCredentials).toBeNull();
    expect(half.warnings).toEqual(['UI_PASSWORD is not set; dashboard login falls back to the master key until both are set']);
  });

  it('shows debug lines (Nest route mapping among them) only with LITELLM_LOG=DEBUG', () => {
    const doc = minimal({ model: 'openai/m' });
    expect(parseLiteLLMConfig(doc, 'c', {}).config.debugLogs).toBe(false);
    expect(parseLiteLLMConfig(doc, 'c', { LITELLM_LOG: 'debug' }).config.debugLogs).toBe(true);
  });

  it('writes JSON lines with JSON_LOGS=true, with the access log on unless TOLLGATE_ACCESS_LOG=false; text mode has it off', () => {
    const doc = minimal({ model: 'openai/m' });
    expect(parseLiteLLMConfig(doc, 'c', {}).config).toMatchObject({ jsonLogs: false, accessLog: false });
    expect(parseLiteLLMConfig(doc, 'c', { JSON_LOGS: 'true' }).config).toMatchObject({ jsonLogs: true, accessLog: true });
    expect(parseLiteLLMConfig(doc, 'c', { JSON_LOGS: 'true', TOLLGATE_ACCESS_LOG: 'false' }).config.accessLog).toBe(false);
    expect(parseLiteLLMConfig(doc, 'c', { TOLLGATE_ACCESS_LOG: 'true' }).config).toMatchObject({ jsonLogs: false, accessLog: true });
    expect(() => parseLiteLLMConfig(doc, 'c', { JSON_LOGS: 'yes please' })).toThrow('JSON_LOGS: must be true or false');
  });

  it("reads LiteLLM's alerting switches and Tollgate's webhook list; a Slack channel without its URL stops start-up", () => {
    const doc = {
      ...minimal({ model: 'openai/m' }),
      general_settings: {
        alerting: ['slack', 'webhook', 'email'],
        alert_types: ['budget_alerts', 'llm_too_slow'],
        alerting_webhooks: [{ url: 'https://ops.example/hook', format: 'slack' }],
        alerting_args: { budget_alert_thresholds: [1, 0.5] },
      },
    };
    const loaded = parseLiteLLMConfig(doc, 'c', {
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/x',
      WEBHOOK_URL: 'http://127.0.0.1:9/e',
    });
    expect(loaded.config.alerting.webhooks).toEqual([
      { url: 'https://hooks.slack.com/services/x', format: 'slack' },
      { url: 'http://127.0.0.1:9/e', format: 'json' },
      { url: 'https://ops.example/hook', format: 'slack' },
    ]);
    expect([...loaded.config.alerting.alertTypes]).toEqual(['budget_alerts']);
    expect(loaded.config.alerting.budgetThresholds).toEqual([0.5, 1]);
    expect(loaded.warnings).toEqual([
      'general_settings.alerting: "email" is not supported by Tollgate (supported: slack, webhook); ignored',
      'general_settings.alert_types: "llm_too_slow" is not sent by Tollgate (it sends budget_alerts, cooldown_deployment); ignored',
    ]);
    expect(parseLiteLLMConfig(minimal({ model: 'openai/m' }), 'c', {}).config.alerting).toEqual({
      webhooks: [],
      alertTypes: new Set(['budget_alerts', 'cooldown_deployment']),
      budgetThresholds: [0.8, 1],
    });
    expect(() => parseLiteLLMConfig({ ...doc, general_settings: { alerting: ['slack'] } }, 'c', {})).toThrow(
      'general_settings.alerting: "slack" needs SLACK_WEBHOOK_URL',
    );
    const tooHigh = { ...doc, general_settings: { alerting_args: { budget_alert_thresholds: [80] } } };
    expect(() => parseLiteLLMConfig(tooHigh, 'c', {})).toThrow('80 is above 1');
  });

  it('a malformed webhook URL stops start-up without printing it: its path is the secret', () => {
    const doc = { ...minimal({ model: 'openai/m' }), general_settings: { alerting: ['slack', 'webhook'] } };
    const problems = problemsOf(doc, {
      SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/SECRET-1',
      WEBHOOK_URL: 'ftp://ops.example/SECRET-2',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'SLACK_WEBHOOK_URL: must be an http(s) URL, got something that is not a URL',
        'WEBHOOK_URL: must be an http(s) URL, got a ftp: URL',
      ]),
    );
    expect(problems.join('\n')).not.toContain('SECRET');
  });

  it('picks the database from DATABASE_URL, then general_settings.database_url', () => {
    const doc = { ...minimal({ model: 'openai/m' }), general_settings: { database_url: 'postgresql://u@h/db' } };
    expect(parseLiteLLMConfig(doc, 'c', {}).config.database).toEqual({ type: 'postgres', url: 'postgresql://u@h/db' });
    expect(parseLiteLLMConfig(doc, 'c', { DATABASE_URL: 'sqlite::memory:' }).config.database).toEqual({ type: 'sqlite', path: ':memory:' });
    expect(problemsOf({ ...minimal({ model: 'openai/m' }) }, { DATABASE_URL: 'mysql://x' })).toEqual([
      'DATABASE_URL: must start with sqlite:, postgres:// or postgresql://',
    ]);
  });

  it('reports an unreadable file and invalid YAML without a stack trace', () => {
    expect(() => loadLiteLLMConfig('/nonexistent/config.yaml')).toThrow(/cannot read the config file \(ENOENT\)/);
  });
});
