/**
 * The admin API (LiteLLM's /team/* and /key/* routes) as the end-to-end suites use it, over raw
 * HTTP so status codes and headers stay visible. Money comes back in USD; `usdToNanos` turns it
 * back into the ledger's integer nano-dollars so assertions compare integers, never floats.
 */
export interface RawResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** USD as the API reports it → integer nano-dollars. Exact for every amount the gateway can report. */
export function usdToNanos(usd: number): number {
  return Math.round(usd * 1_000_000_000);
}

/** Integer nano-dollars → the USD number the gateway prints (`nanos / 1e9`, the same double). */
export function nanosToUsd(nanos: number): number {
  return nanos / 1_000_000_000;
}

/** Polls `probe` until it returns a value other than `undefined`, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
  intervalMs = 25,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface KeyInfo {
  token: string;
  key_name: string;
  team_id: string | null;
  models: string[];
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  spend: number;
  reserved_spend: number;
  blocked: boolean;
  [field: string]: unknown;
}

export interface TeamInfo {
  team_id: string;
  models: string[];
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  spend: number;
  reserved_spend: number;
  [field: string]: unknown;
}

export interface GeneratedKey extends KeyInfo {
  key: string;
}

/**
 * Sends one HTTP request to a gateway as `Authorization: Bearer <key>`; `key: null` sends no
 * credential (other headers can still carry one).
 */
export async function sendRaw<T = any>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; key: string | null; headers?: Record<string, string> },
): Promise<RawResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== null) headers.authorization = `Bearer ${init.key}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Admin calls with the master key; every helper fails loudly when the gateway does not answer 200. */
export class AdminApi {
  constructor(
    readonly baseUrl: string,
    private readonly masterKey: string,
  ) {}

  send<T = any>(
    path: string,
    init: { method?: string; body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<RawResponse<T>> {
    return sendRaw<T>(this.baseUrl, path, { ...init, key: init.key === undefined ? this.masterKey : init.key });
  }

  async newTeam(fields: Record<string, unknown>): Promise<TeamInfo> {
    return this.ok<TeamInfo>('/team/new', fields);
  }

  async updateTeam(fields: Record<string, unknown>): Promise<{ team_id: string; data: TeamInfo }> {
    return this.ok('/team/update', fields);
  }

  async generateKey(fields: Record<string, unknown> = {}): Promise<GeneratedKey> {
    return this.ok<GeneratedKey>('/key/generate', fields);
  }

  async blockKey(key: string): Promise<KeyInfo> {
    return this.ok<KeyInfo>('/key/block', { key });
  }

  async keyInfo(key: string): Promise<KeyInfo> {
    const response = await this.send<{ key: string; info: KeyInfo }>(`/key/info?key=${encodeURIComponent(key)}`);
    if (response.status !== 200) throw new Error(`/key/info answered ${response.status}: ${response.text}`);
    return response.json.info;
  }

  async teamInfo(teamId: string): Promise<TeamInfo> {
    const response = await this.send<{ team_id: string; team_info: TeamInfo }>(`/team/info?team_id=${encodeURIComponent(teamId)}`);
    if (response.status !== 200) throw new Error(`/team/info answered ${response.status}: ${response.text}`);
    return response.json.team_info;
  }

  /** Waits until nothing is reserved on the key any more: every request on it has settled. */
  async keySettled(key: string, timeoutMs = 5_000): Promise<KeyInfo> {
    return waitFor(
      async () => {
        const info = await this.keyInfo(key);
        return info.reserved_spend === 0 ? info : undefined;
      },
      timeoutMs,
      25,
      'the key to have nothing reserved',
    );
  }

  /**
   * The ledger row of one call (its `x-litellm-call-id`), once it has landed: a call is answered
   * before its settlement is written (in the same event-loop turn, but another connection may read first).
   */
  async ledgerRow<T = Record<string, any>>(requestId: string, timeoutMs = 5_000): Promise<T> {
    return waitFor(
      async () => {
        const response = await this.send<T[]>(`/spend/logs?request_id=${encodeURIComponent(requestId)}`);
        if (response.status !== 200) throw new Error(`/spend/logs answered ${response.status}: ${response.text}`);
        return response.json[0];
      },
      timeoutMs,
      25,
      `the ledger row of ${requestId}`,
    );
  }

  /** Waits until every one of these calls has its ledger row (and so its budget movement). */
  async settled(requestIds: (string | null | undefined)[], timeoutMs = 5_000): Promise<void> {
    for (const requestId of requestIds) {
      if (!requestId) throw new Error('a call without an x-litellm-call-id cannot be waited for');
      await this.ledgerRow(requestId, timeoutMs);
    }
  }

  private async ok<T>(path: string, body: unknown): Promise<T> {
    const response = await this.send<T>(path, { body });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${response.text}`);
    return response.json;
  }
}

/** A team id no other test in the run uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
