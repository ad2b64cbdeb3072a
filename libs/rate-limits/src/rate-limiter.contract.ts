import type { RateLimiter } from './rate-limiter';

/** The start of a clock minute, so offsets below read as "seconds into the minute". */
export const T0 = 28_000_000 * 60_000;
const at = (seconds: number) => T0 + seconds * 1000;

/**
 * Behaviour both limiters must share; each spec runs it against its own implementation.
 * `create` must hand out limiters that start with no counters.
 */
export function describeRateLimiterContract(create: () => RateLimiter): void {
  // A describe of its own keeps these hooks from opening a limiter for the caller's other tests.
  describe('as a RateLimiter', () => {
    rateLimiterContract(create);
  });
}

function rateLimiterContract(create: () => RateLimiter): void {
  let limiter: RateLimiter;

  beforeEach(() => {
    limiter = create();
  });

  afterEach(async () => {
    await limiter.close();
  });

  it('admits exactly rpm_limit requests in a minute, then denies with an honest retry-after', async () => {
    const key = { id: 'key:a', rpmLimit: 3 };
    for (const second of [0, 1, 2]) expect(await limiter.admit([key], at(second))).toEqual({ allowed: true });

    const denied = await limiter.admit([key], at(3));
    expect(denied).toEqual({ allowed: false, subjectId: 'key:a', limit: 'rpm', limitValue: 3, retryAfterSeconds: 77 });

    // One second early is still too early; at the promised time the request goes through.
    expect(await limiter.admit([key], at(3 + 76))).toMatchObject({ allowed: false });
    expect(await limiter.admit([key], at(3 + 77))).toEqual({ allowed: true });
  });

  it('counts nothing when any subject is over its limit (all or nothing across key and team)', async () => {
    const key = { id: 'key:a', rpmLimit: 3 };
    const team = { id: 'team:t', rpmLimit: 2 };
    expect(await limiter.admit([key, team], at(0))).toEqual({ allowed: true });
    expect(await limiter.admit([key, team], at(1))).toEqual({ allowed: true });
    expect(await limiter.admit([key, team], at(2))).toMatchObject({ allowed: false, subjectId: 'team:t', limit: 'rpm', limitValue: 2 });

    // The key has 2 of 3 used, not 3: the team's denial did not count against it.
    expect(await limiter.admit([key], at(3))).toEqual({ allowed: true });
    expect(await limiter.admit([key], at(4))).toMatchObject({ allowed: false, subjectId: 'key:a' });
  });

  it('denies on tpm_limit once recorded tokens reach it, for every subject they were recorded against', async () => {
    const key = { id: 'key:a', tpmLimit: 1000 };
    const team = { id: 'team:t', tpmLimit: 1500 };
    expect(await limiter.admit([key, team], at(0))).toEqual({ allowed: true });
    await limiter.recordTokens(['key:a', 'team:t'], 999, at(1));
    expect(await limiter.admit([key, team], at(2))).toEqual({ allowed: true });
    await limiter.recordTokens(['key:a', 'team:t'], 1, at(3));

    const denied = await limiter.admit([key, team], at(4));
    expect(denied).toMatchObject({ allowed: false, subjectId: 'key:a', limit: 'tpm', limitValue: 1000 });
    if (denied.allowed) throw new Error('unreachable');
    expect(denied.retryAfterSeconds).toBeGreaterThanOrEqual(1);

    // The team has 1000 of 1500: alone it is still admitted, and then tipped over by more usage.
    expect(await limiter.admit([team], at(5))).toEqual({ allowed: true });
    await limiter.recordTokens(['team:t'], 500, at(6));
    expect(await limiter.admit([team], at(7))).toMatchObject({ allowed: false, subjectId: 'team:t', limit: 'tpm' });
  });

  it('slides: a burst at the end of a minute still counts at the start of the next', async () => {
    const key = { id: 'key:a', rpmLimit: 3 };
    for (const second of [50, 55, 59]) expect(await limiter.admit([key], at(second))).toEqual({ allowed: true });

    // A fixed window would reset here and allow 3 more, 6 within a few seconds.
    expect(await limiter.admit([key], at(60))).toEqual({
      allowed: false,
      subjectId: 'key:a',
      limit: 'rpm',
      limitValue: 3,
      retryAfterSeconds: 20,
    });
    expect(await limiter.admit([key], at(79))).toMatchObject({ allowed: false });

    // A third of the old minute has slid out: 3 × 2/3 = 2 used, room for exactly one more.
    expect(await limiter.admit([key], at(80))).toEqual({ allowed: true });
    expect(await limiter.admit([key], at(81))).toMatchObject({ allowed: false });

    // Two minutes on, nothing of that traffic is left in the window.
    for (const second of [180, 181, 182]) expect(await limiter.admit([key], at(second))).toEqual({ allowed: true });
    expect(await limiter.admit([key], at(183))).toMatchObject({ allowed: false });
  });

  it('slides token usage out of the window too', async () => {
    const key = { id: 'key:a', tpmLimit: 1000 };
    await limiter.recordTokens(['key:a'], 1000, at(10));
    // All 1000 tokens count until just after the minute turns, so one second is not enough.
    expect(await limiter.admit([key], at(59))).toMatchObject({ allowed: false, limit: 'tpm', retryAfterSeconds: 2 });
    expect(await limiter.admit([key], at(60))).toMatchObject({ allowed: false, limit: 'tpm' });
    // 59/60 of 1000 tokens are still in the window: 983 < 1000.
    expect(await limiter.admit([key], at(61))).toEqual({ allowed: true });
  });

  it('ignores subjects without limits, alone or beside limited ones', async () => {
    const unlimited = [{ id: 'key:free' }, { id: 'team:free', rpmLimit: null, tpmLimit: null }];
    for (let i = 0; i < 50; i++) expect(await limiter.admit(unlimited, at(0))).toEqual({ allowed: true });
    await limiter.recordTokens(['key:free'], 1_000_000, at(0));
    expect(await limiter.admit(unlimited, at(1))).toEqual({ allowed: true });
    expect(await limiter.admit([], at(1))).toEqual({ allowed: true });

    const limitedTeam = { id: 'team:t', rpmLimit: 1 };
    expect(await limiter.admit([unlimited[0], limitedTeam], at(2))).toEqual({ allowed: true });
    expect(await limiter.admit([unlimited[0], limitedTeam], at(3))).toMatchObject({ allowed: false, subjectId: 'team:t' });
  });

  it('counts a subject listed twice once, against the stricter limit', async () => {
    const subjects = [
      { id: 'key:a', rpmLimit: 5 },
      { id: 'key:a', rpmLimit: 2 },
    ];
    expect(await limiter.admit(subjects, at(0))).toEqual({ allowed: true });
    expect(await limiter.admit(subjects, at(1))).toEqual({ allowed: true });
    expect(await limiter.admit(subjects, at(2))).toMatchObject({ allowed: false, limitValue: 2 });
  });

  it('treats a limit of 0 as blocked, still with a finite retry-after', async () => {
    expect(await limiter.admit([{ id: 'key:a', rpmLimit: 0 }], at(0))).toEqual({
      allowed: false,
      subjectId: 'key:a',
      limit: 'rpm',
      limitValue: 0,
      retryAfterSeconds: 60,
    });
  });
}
