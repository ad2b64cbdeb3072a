/**
 * The admin dashboard in a real browser: Debian's Chromium driven by playwright-core against the
 * real gateway (fake OpenAI and Ollama upstreams), as an operator would use it — log in, create a
 * team and a key, watch a call land in the ledger, exhaust a budget, block and delete a key, see
 * a stopped Ollama, log out.
 *
 * The tests in the first block are one journey and run in order: each starts from the state the
 * previous one left. Screenshots go to test-artifacts/screenshots/ for a human to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Sql } from '@tollgate/database';
import { hashKey } from '@tollgate/keys';
import OpenAI, { type APIError, AuthenticationError, RateLimitError } from 'openai';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

import { OllamaFake, OpenAIFake } from '../fakes';
import { caught } from '../support/e2e-helpers';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');
const OPENAI_KEY = 'sk-openai-test';
const COOKIE = 'tollgate_ui_session';
const CSRF = { 'x-requested-with': 'tollgate-ui' };
const hi: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

// gpt-4o list prices in nano-dollars per token: $2.50 input, $10 output per million.
const INPUT_NANOS = 2_500;
const OUTPUT_NANOS = 10_000;
/** The team's budget, $0.001: two scripted calls spend exactly this much. */
const TEAM_BUDGET_NANOS = 1_000_000;
// Output stays within the calls' max_tokens (10): usage reporting more than the limit sent upstream is
// not believed, and would be billed as an estimate.
const FIRST_CALL = { promptTokens: 120, completionTokens: 10 };
const SECOND_CALL = { promptTokens: 200, completionTokens: 10 };
const costOf = (call: { promptTokens: number; completionTokens: number }) =>
  call.promptTokens * INPUT_NANOS + call.completionTokens * OUTPUT_NANOS;

function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

function gatewayConfig(openai: OpenAIFake, ollama: OllamaFake): Record<string, unknown> {
  return {
    model_list: [
      { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
    ],
    router_settings: { fallbacks: [{ 'local-coding': ['gpt-4o'] }] },
  };
}

function sdkClient(gateway: TestGateway, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * What in-page callbacks see. The test project compiles without the DOM library (the gateway is
 * server code), so `page.evaluate` callbacks reach the page's globals through this shape.
 */
interface PageGlobals {
  localStorage: { length: number };
  sessionStorage: { length: number };
  document: { cookie: string; documentElement: { scrollWidth: number } };
}

/** Everything a page holds that a script could read or a user could save. */
async function pageSecretsCheck(page: Page): Promise<{ html: string; storage: { local: number; session: number } }> {
  const html = await page.content();
  const storage = await page.evaluate(() => {
    const page = globalThis as unknown as PageGlobals;
    return { local: page.localStorage.length, session: page.sessionStorage.length };
  });
  return { html, storage };
}

async function loginWithFetch(
  gateway: TestGateway,
  body: Record<string, unknown>,
): Promise<{ status: number; cookie: string | null; json: any }> {
  const response = await fetch(`${gateway.url}/ui/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...CSRF },
    body: JSON.stringify(body),
  });
  const setCookie = response.headers.get('set-cookie');
  return { status: response.status, cookie: setCookie ? setCookie.split(';')[0] : null, json: await response.json() };
}

const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();
let gateway: TestGateway;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await Promise.all([openai.start(), ollama.start()]);
  gateway = await startTestGateway(gatewayConfig(openai, ollama));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await Promise.all([openai.stop(), ollama.stop()]);
});

describe('admin dashboard in the browser', () => {
  let context: BrowserContext;
  let page: Page;
  let aliceKey: string;
  let teamId: string;
  /** Script errors and CSP violations on any page; expected 401/400 answers are not among them. */
  const pageProblems: string[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ baseURL: gateway.url, viewport: { width: 1280, height: 900 } });
    context.on('page', (opened) => {
      opened.on('pageerror', (error) => pageProblems.push(`${opened.url()}: ${error.message}`));
      opened.on('console', (message) => {
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
          pageProblems.push(`${opened.url()}: ${message.text()}`);
      });
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
  });

  it('sends a browser without a session to the login page, and refuses the API with 401', async () => {
    await page.goto('/ui/keys');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/ui/keys');

    const api = await context.request.get('/ui/api/overview');
    expect(api.status()).toBe(401);
    expect((await api.json()).error.type).toBe('authentication_error');
    for (const path of ['/ui/api/teams', '/ui/api/keys', '/ui/api/logs', '/ui/api/models', '/ui/api/session']) {
      expect((await context.request.get(path)).status()).toBe(401);
    }
    expect((await context.request.post('/ui/api/teams', { headers: CSRF, data: { team_alias: 'x' } })).status()).toBe(401);
  });

  it('shows an error for a wrong master key, without putting it in the URL', async () => {
    await page.locator('#master_key').fill('sk-not-the-master-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    const error = page.locator('.form-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toContain('not the master key');
    expect(page.url()).not.toContain('sk-not-the-master-key');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect(await page.locator('#master_key').inputValue()).toBe('');
    expect((await context.cookies()).find((c) => c.name === COOKIE)).toBeUndefined();
    await screenshot(page, 'login');
  });

  it('logs in with the master key into an HttpOnly, SameSite=Strict session cookie that expires in 8 hours', async () => {
    await page.locator('#master_key').fill(TEST_MASTER_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/ui/keys');
    expect(page.url()).not.toContain(TEST_MASTER_KEY);

    const cookie = (await context.cookies()).find((c) => c.name === COOKIE)!;
    expect(cookie).toBeDefined();
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    expect(cookie.path).toBe('/ui');
    // Max-Age makes it a persistent cookie; Chromium reports the expiry in seconds.
    const hoursLeft = (cookie.expires * 1000 - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(7.9);
    expect(hoursLeft).toBeLessThanOrEqual(8);
    expect(cookie.value).not.toContain(TEST_MASTER_KEY);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie)).toBe('');
  });

  it('creates a team, showing the server’s validation error next to the field it names', async () => {
    await page.goto('/ui/teams');
    const form = page.locator('#new-team-form');
    await form.locator('[name=team_alias]').fill('research');
    await form.locator('[name=max_budget]').fill('0.001');
    await form.locator('[name=budget_duration]').fill('fortnight');
    await form.getByRole('button', { name: 'Create team' }).click();

    const fieldError = form.locator('[data-field=budget_duration] .field-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('budget_duration must be a positive duration like');
    expect(await form.locator('[name=budget_duration]').getAttribute('aria-invalid')).toBe('true');

    await form.locator('[name=budget_duration]').fill('30d');
    await form.getByRole('button', { name: 'Create team' }).click();
    const row = page.locator('.teams-table tbody tr', { hasText: 'research' });
    await row.waitFor();
    teamId = (await row.getAttribute('data-team-id'))!;
    expect(teamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await row.locator('.budget-text').textContent()).toContain('$0.00 of $0.001');
    expect(await form.locator('.field-error').count()).toBe(0);
  });

  it('refuses unknown fields (naming them) and state changes without the CSRF header', async () => {
    const unknown = await context.request.post('/ui/api/teams', { headers: CSRF, data: { team_alias: 'x', max_budgett: 5 } });
    expect(unknown.status()).toBe(400);
    expect((await unknown.json()).error).toMatchObject({ param: 'max_budgett', code: 'unknown_field' });

    const noHeader = await context.request.post('/ui/api/teams', { data: { team_alias: 'csrf' } });
    expect(noHeader.status()).toBe(403);
    const teams = await (await context.request.get('/ui/api/teams')).json();
    expect(teams.map((t: { team_alias: string }) => t.team_alias)).toEqual(['research']);

    const badFilter = await context.request.get('/ui/api/logs?statuz=error');
    expect(badFilter.status()).toBe(400);
    expect((await badFilter.json()).error.param).toBe('statuz');
  });

  it('creates a key in the team and shows the raw key exactly once', async () => {
    await page.goto('/ui/keys');
    const form = page.locator('#new-key-form');
    await form.locator('[name=key_alias]').fill('alice-laptop');
    await form.locator('[name=team_id]').selectOption({ label: 'research' });
    await form.getByRole('button', { name: 'Create key' }).click();

    const shown = page.locator('#created-key');
    await shown.waitFor();
    aliceKey = await shown.inputValue();
    expect(aliceKey).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    expect(await page.locator('#copy-key').isVisible()).toBe(true);
    const row = page.locator('.keys-table tbody tr', { hasText: 'alice-laptop' });
    await row.waitFor();
    expect(await row.textContent()).toContain(`sk-...${aliceKey.slice(-4)}`);
    expect(await row.textContent()).toContain('research');
    expect(await row.getAttribute('data-token')).toBe(hashKey(aliceKey));

    await page.reload();
    await page.locator('.keys-table tbody tr', { hasText: 'alice-laptop' }).waitFor();
    expect(await page.locator('#created-key').count()).toBe(0);
    expect(await page.content()).not.toContain(aliceKey);
    const listed = await (await context.request.get('/ui/api/keys')).text();
    expect(listed).not.toContain(aliceKey);
  });

  it('shows a completion made with that key in Logs, with its details, and in the team’s spend', async () => {
    openai.enqueue({ kind: 'reply', ...FIRST_CALL });
    const completion = await sdkClient(gateway, aliceKey).chat.completions.create({ model: 'gpt-4o', messages: hi, max_tokens: 10 });
    expect(completion.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 10 });

    await page.goto('/ui/logs');
    const row = page.locator('.logs-table tbody tr[data-status=success]', { hasText: 'alice-laptop' });
    await row.waitFor();
    expect(await row.textContent()).toContain('research');
    expect(await row.textContent()).toContain('$0.0004');
    await screenshot(page, 'logs');

    await row.click();
    const details = page.locator('#log-details');
    await details.waitFor();
    const text = (await details.textContent())!;
    for (const expected of [
      'Prompt tokens120',
      'Completion tokens10',
      'Total tokens130',
      'Cache read tokens0',
      'Cost$0.0004',
      'Provideropenai',
      'Model groupgpt-4o',
      'Attempted fallbacks0',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).toMatch(/Deploymentgpt-4o#\d/);
    expect(text).toMatch(/Latency\d+ ms/);
    expect(text).toMatch(/Time to first token(\d+ ms|—)/);
    await screenshot(page, 'logs-details');
    await details.getByRole('button', { name: 'Close' }).click();

    await page.goto('/ui/teams');
    const team = page.locator(`.teams-table tr[data-team-id="${teamId}"]`);
    await team.waitFor();
    expect(await team.locator('.budget-text').textContent()).toContain('$0.0004 of $0.001');
  });

  it('flags an exhausted budget in Teams, Overview and Logs once the next call is refused with 429', async () => {
    openai.enqueue({ kind: 'reply', ...SECOND_CALL });
    await sdkClient(gateway, aliceKey).chat.completions.create({ model: 'gpt-4o', messages: hi, max_tokens: 10 });
    expect(costOf(FIRST_CALL) + costOf(SECOND_CALL)).toBe(TEAM_BUDGET_NANOS);

    const refused = (await caught(() =>
      sdkClient(gateway, aliceKey).chat.completions.create({ model: 'gpt-4o', messages: hi, max_tokens: 10 }),
    )) as APIError;
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused.error).toMatchObject({ type: 'budget_exceeded' });
    // Refused before anything was sent upstream.
    expect(openai.requestsTo('/v1/chat/completions')).toHaveLength(2);

    await page.goto('/ui/teams');
    const team = page.locator(`.teams-table tr[data-team-id="${teamId}"]`);
    await team.waitFor();
    expect(await team.locator('.bar').getAttribute('data-state')).toBe('exhausted');
    expect(await team.locator('.bar').getAttribute('aria-valuenow')).toBe('100');
    expect(await team.textContent()).toContain('Budget exhausted');
    expect(await team.locator('.budget-text').textContent()).toContain('$0.001 of $0.001');
    await screenshot(page, 'teams');

    await page.goto('/ui');
    const closest = page.locator('tr', { hasText: 'research' }).filter({ hasText: 'Budget exhausted' }).first();
    await closest.waitFor();
    expect(await page.locator('.stat', { hasText: 'Requests · 30 days' }).textContent()).toContain('3');
    expect(await page.locator('.stat', { hasText: 'Requests · 30 days' }).textContent()).toContain('1 refused for budget');
    expect(await page.locator('.stat', { hasText: 'Spend this budget period' }).textContent()).toContain('$0.001');
    // The chart is drawn once its container has a width.
    await page.locator('svg.chart rect').first().waitFor();
    expect(await page.locator('svg.chart rect').count()).toBe(1);
    expect(await page.locator('svg.chart rect title').textContent()).toMatch(/^research · .+: \$0\.001$/);
    expect(await page.locator('.legend').textContent()).toContain('research');
    await screenshot(page, 'overview');

    await page.goto('/ui/keys');
    const alice = page.locator('.keys-table tbody tr[data-alias="alice-laptop"]');
    await alice.waitFor();
    expect(await alice.textContent()).toContain('Team budget exhausted');

    await page.goto('/ui/logs');
    await page.locator('#logs-filters [name=status]').selectOption('budget_exceeded');
    await page.locator('#logs-filters').getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'budget_exceeded');
    const refusedRow = page.locator('.logs-table tbody tr[data-status=budget_exceeded]');
    await refusedRow.waitFor();
    expect(await page.locator('.logs-table tbody tr').count()).toBe(1);
    expect(await refusedRow.textContent()).toContain('budget exceeded');
    expect(await refusedRow.textContent()).toContain('alice-laptop');
    await refusedRow.click();
    expect(await page.locator('#log-details .error-box').textContent()).toContain('Budget has been exceeded');
  });

  it('shows an unknown key alias in the Logs filter as an error on that field', async () => {
    await page.goto('/ui/logs?key=nobody');
    const error = page.locator('#logs-filters [data-field=key] .field-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('No key has the alias "nobody"');
  });

  it('pages through the ledger by keyset, ties on start_time included, with "Load older"', async () => {
    const created = await context.request.post('/ui/api/teams', { headers: CSRF, data: { team_id: 'bulk', team_alias: 'bulk' } });
    expect(created.status()).toBe(200);
    // 130 rows on 15 Jan 2025, five per millisecond: a cursor on start_time alone would skip or repeat rows.
    const day = Date.UTC(2025, 0, 15, 12);
    const sql = gateway.app.get(Sql);
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      const requestId = `bulk-${String(i).padStart(3, '0')}`;
      const start = day + Math.floor(i / 5);
      ids.push(requestId);
      await sql.query(
        `INSERT INTO spend_logs (request_id, team_id, model_group, call_type, status, spend_nanos, start_time, end_time, latency_ms)
         VALUES (?, 'bulk', 'gpt-4o', 'chat_completion', 'success', 1000, ?, ?, 5)`,
        [requestId, start, start + 5],
      );
    }
    // Newest first, request_id descending within a millisecond: the insertion order reversed.
    const expected = [...ids].reverse();

    const seen: string[] = [];
    let before: string | null = null;
    do {
      const query: string = `/ui/api/logs?team_id=bulk&limit=7${before ? `&before=${encodeURIComponent(before)}` : ''}`;
      const page = await (await context.request.get(query)).json();
      seen.push(...page.rows.map((row: { request_id: string }) => row.request_id));
      before = page.next_before;
    } while (before !== null);
    expect(seen).toEqual(expected);

    const inDay = await (await context.request.get('/ui/api/logs?team_id=bulk&from=2025-01-15&to=2025-01-15&limit=200')).json();
    expect(inDay.rows).toHaveLength(130);
    const dayBefore = await (await context.request.get('/ui/api/logs?team_id=bulk&to=2025-01-14')).json();
    expect(dayBefore).toEqual({ rows: [], next_before: null });
    const backwards = await context.request.get('/ui/api/logs?from=2025-01-15&to=2025-01-14');
    expect(backwards.status()).toBe(400);
    expect((await backwards.json()).error.param).toBe('to');

    await page.goto('/ui/logs?team_id=bulk');
    const rows = page.locator('.logs-table tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    expect(await page.locator('#logs-filters [name=team_id]').inputValue()).toBe('bulk');
    await page.getByRole('button', { name: 'Load older' }).click();
    await rows.nth(99).waitFor();
    await page.getByRole('button', { name: 'Load older' }).click();
    await rows.nth(129).waitFor();
    expect(await rows.count()).toBe(130);
    expect(await page.locator('#load-more').isHidden()).toBe(true);
    expect(
      await rows.evaluateAll((nodes) => nodes.map((node) => (node as unknown as { dataset: { requestId: string } }).dataset.requestId)),
    ).toEqual(expected);
  });

  it('blocks a key: its next API call is refused with 401; deleting it asks first', async () => {
    await page.goto('/ui/keys');
    const form = page.locator('#new-key-form');
    await form.locator('[name=key_alias]').fill('bob-ci');
    await form.getByRole('button', { name: 'Create key' }).click();
    await page.locator('#created-key').waitFor();
    const bobKey = await page.locator('#created-key').inputValue();
    await sdkClient(gateway, bobKey).chat.completions.create({ model: 'gpt-4o', messages: hi });

    const row = page.locator('.keys-table tbody tr[data-alias="bob-ci"]');
    await row.getByRole('button', { name: 'Block' }).click();
    await row.locator('.badge', { hasText: 'Blocked' }).waitFor();
    const blocked = await caught(() => sdkClient(gateway, bobKey).chat.completions.create({ model: 'gpt-4o', messages: hi }));
    expect(blocked).toBeInstanceOf(AuthenticationError);
    expect((blocked as APIError).error).toMatchObject({ code: 'blocked_key' });
    await screenshot(page, 'keys');

    // Cancel first: the key stays.
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.locator('#confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.textContent()).toContain('Delete key bob-ci?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await row.count()).toBe(1);

    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete key' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await page.locator('.keys-table tbody tr[data-alias="alice-laptop"]').count()).toBe(1);
    const deleted = await caught(() => sdkClient(gateway, bobKey).chat.completions.create({ model: 'gpt-4o', messages: hi }));
    expect(deleted).toBeInstanceOf(AuthenticationError);
    expect((deleted as APIError).error).toMatchObject({ code: 'invalid_api_key' });
  });

  it('lists every alias with deployments and fallbacks, and shows a stopped Ollama as unhealthy', async () => {
    await page.goto('/ui/models');
    const ollamaRow = page.locator('tr[data-deployment^="local-coding"]');
    await ollamaRow.waitFor();
    expect(await ollamaRow.getAttribute('data-state')).toBe('healthy');
    expect(await ollamaRow.textContent()).toContain(ollama.url);
    expect(await page.locator('.card', { hasText: 'local-coding' }).locator('.chain').textContent()).toMatch(/local-coding\s*→\s*gpt-4o/);
    expect(await page.locator('tr[data-deployment^="gpt-4o"]').textContent()).toContain('openai');

    await ollama.stop();
    // Probe results are shared for 2 s so /health cannot hammer an upstream; wait that out.
    await new Promise((done) => setTimeout(done, 2_100));
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.locator('tr[data-deployment^="local-coding"][data-state="unhealthy"]').waitFor();
    expect(await page.locator('tr[data-deployment^="local-coding"] .badge').textContent()).toBe('unhealthy');
    expect(await page.locator('tr[data-deployment^="local-coding"] .error-text').textContent()).not.toBe('');
    await screenshot(page, 'models');
    await ollama.start();
  });

  it('lists a Claude Code subscription session reported over OTLP in Sessions, filtered by source', async () => {
    // A recorded Claude Code export (Claude Code 2.1.197 against the Anthropic fake), without a tollgate.client: the key's team.
    const recording = readFileSync(resolve(__dirname, '../../apps/gateway/src/otlp/__fixtures__/claude-code-logs.json'), 'utf8');
    const metrics = readFileSync(resolve(__dirname, '../../apps/gateway/src/otlp/__fixtures__/claude-code-metrics.json'), 'utf8');
    for (const [signal, body] of [
      ['logs', recording],
      ['metrics', metrics],
    ]) {
      const exported = await fetch(`${gateway.url}/otlp/v1/${signal}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceKey}` },
        body: body.split('{"key":"tollgate.client","value":{"stringValue":"acme"}},').join(''),
      });
      expect(exported.status).toBe(200);
    }
    const session = '96dd1295-47f7-443b-b4ff-769f95c01cb3';
    await page.goto('/ui/sessions?source=subscription');
    const row = page.locator(`.sessions-table tr[data-session-id="${session}"]`);
    await row.waitFor();
    const text = (await row.textContent())!;
    // 0.557 s of active time from claude_code.active_time.total; list price $0.049755 (an uncatalogued model: the default rate); reported $0.016585.
    for (const expected of ['claude-code', 'research', '0.6 s', '3,281', '$0.05', '$0.02']) expect(text).toContain(expected);
    await screenshot(page, 'sessions');

    await page.locator('#sessions-filters select[name=source]').selectOption('gateway');
    await page.locator('#sessions-filters button[type=submit]').click();
    await page.waitForURL(/source=gateway/);
    await row.waitFor({ state: 'detached' });

    await page.goto(`/ui/logs?session_id=${session}&source=subscription`);
    const logRow = page.locator('.logs-table tbody tr[data-status=success]');
    await logRow.click();
    const details = (await page.locator('#log-details').textContent())!;
    expect(details).toContain('Sourceclaude-code 2.1.197 (reported over OpenTelemetry)');
    expect(details).toContain('Cost reported by the tool$0.02');
    await page.locator('#log-details').getByRole('button', { name: 'Close' }).click();
  });

  it('never puts the master key (or its hash) in a page, and keeps nothing in browser storage', async () => {
    const masterHash = hashKey(TEST_MASTER_KEY);
    for (const path of ['/ui', '/ui/teams', '/ui/keys', '/ui/logs', '/ui/sessions', '/ui/models']) {
      await page.goto(path);
      await page.locator('.page-head h1').waitFor();
      const { html, storage } = await pageSecretsCheck(page);
      expect(html).not.toContain(TEST_MASTER_KEY);
      expect(html).not.toContain(masterHash);
      expect(storage).toEqual({ local: 0, session: 0 });
    }
  });

  it('stays usable at 375 px: nothing overflows the screen, wide tables scroll in place', async () => {
    const narrow = await context.newPage();
    await narrow.setViewportSize({ width: 375, height: 812 });
    for (const path of ['/ui', '/ui/keys', '/ui/logs', '/ui/sessions']) {
      await narrow.goto(path);
      await narrow.locator('.page-head h1').waitFor();
      await narrow.locator('.card').first().waitFor();
      expect(await narrow.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        375,
      );
    }
    await narrow.goto('/ui');
    await narrow.locator('svg.chart').waitFor();
    await screenshot(narrow, 'overview-375');
    await narrow.close();
  });

  it('ran every page without a script error or a Content-Security-Policy violation', () => {
    expect(pageProblems).toEqual([]);
  });

  it('logs out: pages require a login again and the API answers 401', async () => {
    await page.goto('/ui');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((url) => url.pathname === '/ui/login');
    expect((await context.cookies()).find((c) => c.name === COOKIE)).toBeUndefined();

    await page.goto('/ui/logs');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect((await context.request.get('/ui/api/overview')).status()).toBe(401);
    expect((await context.request.get('/ui/api/keys')).status()).toBe(401);
  });
});

describe('dashboard sessions across instances and UI_USERNAME / UI_PASSWORD', () => {
  let twin: TestGateway;
  let passwordGateway: TestGateway;

  beforeAll(async () => {
    // Same master key and database, separate process state: what a second instance behind a load
    // balancer is. The session signing secret is shared through that database.
    twin = await startTestGateway(gatewayConfig(openai, ollama), { database: gateway.database });
    passwordGateway = await startTestGateway(gatewayConfig(openai, ollama), {
      env: { UI_USERNAME: 'ops', UI_PASSWORD: 'correct horse battery staple' },
    });
  });

  afterAll(async () => {
    await twin?.close();
    await passwordGateway?.close();
  });

  it('accepts a session from one instance on another that shares the master key and database', async () => {
    const login = await loginWithFetch(gateway, { master_key: TEST_MASTER_KEY });
    expect(login.status).toBe(200);
    const onTwin = await fetch(`${twin.url}/ui/api/session`, { headers: { cookie: login.cookie! } });
    expect(onTwin.status).toBe(200);
    expect(await onTwin.json()).toMatchObject({ user: 'admin', login_method: 'master_key' });
    // A cookie someone edited is refused.
    const forged = login.cookie!.replace(/\.[^.]+$/, '.AAAA');
    expect((await fetch(`${twin.url}/ui/api/session`, { headers: { cookie: forged } })).status).toBe(401);
  });

  it('logs in with UI_USERNAME / UI_PASSWORD when both are set, and not with the master key', async () => {
    expect(await (await fetch(`${passwordGateway.url}/ui/api/login`)).json()).toEqual({ method: 'password' });
    const withMasterKey = await loginWithFetch(passwordGateway, { master_key: TEST_MASTER_KEY });
    expect(withMasterKey.status).toBe(400);
    expect(withMasterKey.json.error.param).toBe('username');
    const wrong = await loginWithFetch(passwordGateway, { username: 'ops', password: 'Tr0ub4dor&3' });
    expect(wrong.status).toBe(401);
    expect(wrong.cookie).toBeNull();

    const right = await loginWithFetch(passwordGateway, { username: 'ops', password: 'correct horse battery staple' });
    expect(right.status).toBe(200);
    expect(right.json.user).toBe('ops');
    expect((await fetch(`${passwordGateway.url}/ui/api/overview`, { headers: { cookie: right.cookie! } })).status).toBe(200);
    // The UI credentials are part of the signing key: sessions do not cross to an instance configured otherwise.
    expect((await fetch(`${gateway.url}/ui/api/overview`, { headers: { cookie: right.cookie! } })).status).toBe(401);
  });

  it('logs in through the browser with a username and password', async () => {
    const context = await browser.newContext({ baseURL: passwordGateway.url });
    try {
      const page = await context.newPage();
      await page.goto('/ui');
      await page.locator('#username').waitFor({ state: 'visible' });
      expect(await page.locator('#master_key').isVisible()).toBe(false);
      await page.locator('#username').fill('ops');
      await page.locator('#password').fill('correct horse battery staple');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((url) => url.pathname === '/ui');
      await page.locator('#session-user', { hasText: 'ops' }).waitFor();
    } finally {
      await context.close();
    }
  });
});
