/**
 * Prometheus /metrics, end to end: known traffic through the gateway — successes, a stream, a
 * fallback after a failing deployment, a budget refusal, an unknown model — then a scrape parsed by
 * a real text-format parser, checked against that traffic and against the ledger's own numbers.
 * Access: 401 without the master key or PROMETHEUS_API_KEY, open when configured public.
 */
import OpenAI from 'openai';

import { OpenAIFake } from '../fakes';
import { AdminApi, sendRaw, uniqueId, usdToNanos } from '../support/admin-api';
import { Scrape } from '../support/prometheus-scrape';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const OPENAI_KEY = 'sk-openai-test';
const PROMETHEUS_KEY = 'prometheus-scraper-secret-0123456789';
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const failing = new OpenAIFake({ apiKey: OPENAI_KEY });

/** Usage every scripted answer reports: 10 in, 5 out on gpt-4o = 10 × 2,500 + 5 × 10,000 nano-dollars. */
const REPLY = { promptTokens: 10, completionTokens: 5 };
const CALL_COST_NANOS = 75_000;

let gateway: TestGateway;
let admin: AdminApi;

beforeAll(async () => {
  await Promise.all([openai.start(), failing.start()]);
  gateway = await startTestGateway(
    {
      model_list: [
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
        { model_name: 'primary', litellm_params: { model: 'openai/gpt-4o', api_base: failing.apiBase, api_key: OPENAI_KEY } },
      ],
      router_settings: { fallbacks: [{ primary: ['gpt'] }], num_retries: 0, allowed_fails: 1, cooldown_time: 600 },
    },
    { env: { PROMETHEUS_API_KEY: PROMETHEUS_KEY } },
  );
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([openai.stop(), failing.stop()]);
});

function clientFor(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}

async function scrape(key: string = TEST_MASTER_KEY): Promise<Scrape> {
  const response = await sendRaw(gateway.url, '/metrics', { key });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return new Scrape(response.text);
}

describe('a scrape after known traffic', () => {
  const teamId = uniqueId('metrics-team');
  const brokeTeamId = uniqueId('broke-team');
  let key: { key: string; token: string };
  let brokeKey: { key: string; token: string };
  let metrics: Scrape;

  beforeAll(async () => {
    await admin.newTeam({ team_id: teamId, team_alias: 'Metrics Team', max_budget: 1 });
    key = await admin.generateKey({ team_id: teamId, key_alias: 'metrics-key', max_budget: 0.5 });
    await admin.newTeam({ team_id: brokeTeamId, max_budget: 0.000001 });
    brokeKey = await admin.generateKey({ team_id: brokeTeamId, key_alias: 'broke-key' });

    openai.setDefaultReply(REPLY);
    const client = clientFor(key.key);
    const ask = { messages: [{ role: 'user' as const, content: 'Say hi' }], max_tokens: 16 };
    await client.chat.completions.create({ model: 'gpt', ...ask });
    await client.chat.completions.create({ model: 'gpt', ...ask });
    const stream = await client.chat.completions.create({ model: 'gpt', ...ask, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) void chunk;
    // primary's only deployment fails with a 500: the call falls back to gpt, and primary cools down.
    failing.enqueue({ kind: 'error', status: 500 });
    await client.chat.completions.create({ model: 'primary', ...ask });
    await expect(client.chat.completions.create({ model: 'no-such-model', ...ask })).rejects.toMatchObject({ status: 404 });
    await expect(clientFor(brokeKey.key).chat.completions.create({ model: 'gpt', ...ask })).rejects.toMatchObject({ status: 429 });

    metrics = await scrape();
  });

  const ofKey = () => ({ hashed_api_key: key.token });

  it('counts requests by the status the client got, and failures with their exception', () => {
    expect(metrics.sum('litellm_proxy_total_requests_metric_total', { ...ofKey(), status_code: '200' })).toBe(4);
    expect(
      metrics.sum('litellm_proxy_total_requests_metric_total', { ...ofKey(), status_code: '404', requested_model: 'unknown_model' }),
    ).toBe(1);
    expect(metrics.sum('litellm_requests_metric_total', ofKey())).toBe(4);
    expect(
      metrics.sum('litellm_proxy_failed_requests_metric_total', { ...ofKey(), exception_status: '404', exception_class: 'NotFoundError' }),
    ).toBe(1);
    expect(
      metrics.sum('litellm_proxy_failed_requests_metric_total', {
        hashed_api_key: brokeKey.token,
        exception_status: '429',
        exception_class: 'BudgetExceededError',
      }),
    ).toBe(1);
    expect(metrics.type('litellm_proxy_total_requests_metric_total')).toBe('COUNTER');
  });

  it('labels calls with the key alias, team and team alias, never the raw key', () => {
    const [sample] = metrics.samples('litellm_spend_metric_total', ofKey());
    expect(sample.labels).toMatchObject({ api_key_alias: 'metrics-key', team: teamId, team_alias: 'Metrics Team', model: 'gpt-4o' });
    expect(metrics.text).not.toContain(key.key);
    expect(metrics.text).not.toContain(brokeKey.key);
    expect(metrics.text).not.toContain(TEST_MASTER_KEY);
  });

  it('counts spend and tokens exactly as the ledger charged them', async () => {
    const info = await admin.keyInfo(key.key);
    expect(usdToNanos(info.spend)).toBe(4 * CALL_COST_NANOS);
    expect(usdToNanos(metrics.sum('litellm_spend_metric_total', ofKey()))).toBe(4 * CALL_COST_NANOS);
    expect(metrics.sum('litellm_input_tokens_total', ofKey())).toBe(4 * REPLY.promptTokens);
    expect(metrics.sum('litellm_output_tokens_total', ofKey())).toBe(4 * REPLY.completionTokens);
    expect(metrics.sum('litellm_total_tokens_total', ofKey())).toBe(4 * (REPLY.promptTokens + REPLY.completionTokens));
  });

  it('gives remaining team and key budgets after the sequence, and nothing left reserved', () => {
    expect(usdToNanos(metrics.sum('litellm_remaining_team_budget_metric', { team: teamId, team_alias: 'Metrics Team' }))).toBe(
      usdToNanos(1) - 4 * CALL_COST_NANOS,
    );
    expect(usdToNanos(metrics.sum('litellm_remaining_api_key_budget_metric', { ...ofKey(), api_key_alias: 'metrics-key' }))).toBe(
      usdToNanos(0.5) - 4 * CALL_COST_NANOS,
    );
    expect(metrics.sum('litellm_team_max_budget_metric', { team: teamId })).toBe(1);
    expect(metrics.sum('tollgate_team_reserved_spend', { team: teamId })).toBe(0);
    expect(metrics.sum('tollgate_unsettled_reservations')).toBe(0);
    expect(metrics.sum('tollgate_settlements_pending')).toBe(0);
    expect(metrics.sum('tollgate_settlement_lag_seconds')).toBe(0);
  });

  it('observes every request in the latency histograms, and time to first token for the stream only', () => {
    expect(metrics.type('litellm_request_total_latency_metric')).toBe('HISTOGRAM');
    expect(metrics.histogramCount('litellm_request_total_latency_metric', ofKey())).toBe(5);
    // The unknown model never reached an upstream.
    expect(metrics.histogramCount('litellm_llm_api_latency_metric', ofKey())).toBe(4);
    expect(metrics.histogramCount('litellm_overhead_latency_metric', ofKey())).toBe(4);
    expect(metrics.histogramCount('litellm_llm_api_time_to_first_token_metric', ofKey())).toBe(1);
    // LiteLLM's buckets, printed as its Python client prints them.
    expect(metrics.bucketBounds('litellm_request_total_latency_metric', ofKey())).toEqual(
      expect.arrayContaining(['0.005', '1.0', '300.0', '+Inf']),
    );
    expect(metrics.sum('litellm_request_total_latency_metric_bucket', { ...ofKey(), le: '+Inf' })).toBe(5);
  });

  it('counts the failed deployment, its cooldown, its state and the fallback that answered', () => {
    expect(
      metrics.sum('litellm_deployment_failure_responses_total', { model_id: 'primary#1', exception_status: '500', api_provider: 'openai' }),
    ).toBe(1);
    expect(metrics.sum('litellm_deployment_success_responses_total', { ...ofKey(), model_id: 'gpt#0' })).toBe(4);
    expect(metrics.sum('litellm_deployment_success_responses_total', { ...ofKey(), model_id: 'gpt#0', requested_model: 'primary' })).toBe(
      1,
    );
    expect(metrics.sum('litellm_deployment_cooled_down_total', { model_id: 'primary#1', exception_status: '500' })).toBe(1);
    expect(metrics.sum('litellm_deployment_state', { model_id: 'primary#1' })).toBe(2);
    expect(metrics.sum('litellm_deployment_state', { model_id: 'gpt#0' })).toBe(0);
    expect(
      metrics.sum('litellm_deployment_successful_fallbacks_total', {
        ...ofKey(),
        requested_model: 'primary',
        fallback_model: 'gpt',
        exception_status: '500',
      }),
    ).toBe(1);
  });

  it('counts budget refusals per team', () => {
    expect(metrics.sum('tollgate_budget_refusals_total', { team: brokeTeamId, hashed_api_key: brokeKey.token })).toBe(1);
    expect(metrics.sum('tollgate_budget_refusals_total', { team: teamId })).toBe(0);
  });

  it('includes the process metrics: event-loop lag, heap, resident memory', () => {
    expect(metrics.samples('nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(metrics.sum('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(metrics.sum('process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('who may scrape', () => {
  it('refuses a scrape without a key, or with a virtual key, with 401 in OpenAI shape', async () => {
    const virtualKey = await admin.generateKey({});
    for (const key of [null, virtualKey.key, 'wrong-secret']) {
      const response = await sendRaw(gateway.url, '/metrics', { key });
      expect(response.status).toBe(401);
      expect(response.json).toEqual({
        error: expect.objectContaining({ type: 'authentication_error', message: expect.stringContaining('PROMETHEUS_API_KEY') }),
      });
      expect(response.text).not.toContain('litellm_');
    }
  });

  it('lets the master key and PROMETHEUS_API_KEY scrape', async () => {
    expect((await scrape(TEST_MASTER_KEY)).samples('process_resident_memory_bytes')).toHaveLength(1);
    expect((await scrape(PROMETHEUS_KEY)).samples('process_resident_memory_bytes')).toHaveLength(1);
  });

  it('answers without a key when require_auth_for_metrics_endpoint is false', async () => {
    const open = await startTestGateway({
      model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } }],
      litellm_settings: { require_auth_for_metrics_endpoint: false },
    });
    try {
      const response = await sendRaw(open.url, '/metrics', { key: null });
      expect(response.status).toBe(200);
      expect(new Scrape(response.text).samples('litellm_deployment_state', { model_id: 'gpt#0' })).toHaveLength(1);
    } finally {
      await open.close();
    }
  });
});
