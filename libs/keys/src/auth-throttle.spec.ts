import { AuthError, AuthErrorCode } from './auth.errors';
import { AuthThrottledError } from './auth.errors';
import { AuthThrottle, FAILED_AUTH_ALLOWANCE, FAILED_AUTH_WINDOW_MS, isWrongSecret, THROTTLED_CHECK_SPACING_MS } from './auth-throttle';

const wrong = () => {
  throw new AuthError(AuthErrorCode.INVALID_KEY, 'Invalid API key');
};
const right = () => 'caller';

describe('AuthThrottle', () => {
  let clock: number;
  const now = () => clock;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 1_000_000;
  });

  afterEach(() => jest.useRealTimers());

  /** Runs a guarded check, letting its turn's wait pass on the fake clock. */
  async function attempt(throttle: AuthThrottle, address: string, check: () => string): Promise<unknown> {
    const outcome = throttle.guard(address, check, isWrongSecret, now).then(
      (value) => value,
      (error: unknown) => error,
    );
    await jest.advanceTimersByTimeAsync(THROTTLED_CHECK_SPACING_MS);
    clock += THROTTLED_CHECK_SPACING_MS;
    return outcome;
  }

  it('answers wrong guesses 401 within the allowance and 429 past it', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE; i++) expect(await attempt(throttle, 'a', wrong)).toBeInstanceOf(AuthError);
    expect(await attempt(throttle, 'a', wrong)).toBeInstanceOf(AuthThrottledError);
  });

  it('master key guessing: the valid key is still accepted from a throttled address', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE + 5; i++) await attempt(throttle, 'a', wrong);
    expect(await attempt(throttle, 'a', right)).toBe('caller');
  });

  it('counts per address: one address guessing does not slow another', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE + 1; i++) await attempt(throttle, 'a', wrong);
    expect(await attempt(throttle, 'b', wrong)).toBeInstanceOf(AuthError);
    expect(await attempt(throttle, 'b', wrong)).not.toBeInstanceOf(AuthThrottledError);
  });

  it('parallel guessing: a burst from a throttled address gets one check per interval, the rest refused unchecked', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE; i++) await attempt(throttle, 'a', wrong);
    let checks = 0;
    const counted = () => {
      checks++;
      return wrong();
    };
    const burst = Array.from({ length: 100 }, () => throttle.guard('a', counted, isWrongSecret, now).catch((error: unknown) => error));
    // Only the checks whose turn fits in the longest wait were queued; nothing ran ahead of its turn.
    expect(checks).toBeLessThanOrEqual(1);
    await jest.advanceTimersByTimeAsync(60_000);
    const outcomes = await Promise.all(burst);
    expect(outcomes.every((outcome) => outcome instanceof AuthThrottledError)).toBe(true);
    expect(checks).toBeLessThanOrEqual(11);
  });

  it('forgets an address once its window has passed', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE + 1; i++) await attempt(throttle, 'a', wrong);
    clock += FAILED_AUTH_WINDOW_MS;
    expect(await attempt(throttle, 'a', wrong)).not.toBeInstanceOf(AuthThrottledError);
  });

  it('does not count what is not a guess: a blocked or expired key is a real key', async () => {
    const throttle = new AuthThrottle();
    const blocked = () => {
      throw new AuthError(AuthErrorCode.BLOCKED_KEY, 'blocked');
    };
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE + 5; i++) await attempt(throttle, 'a', blocked);
    expect(await attempt(throttle, 'a', wrong)).not.toBeInstanceOf(AuthThrottledError);
  });
});
