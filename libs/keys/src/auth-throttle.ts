import { Injectable } from '@nestjs/common';
import type { Request } from 'express';

import { AuthError, AuthErrorCode, AuthThrottledError } from './auth.errors';

/** Free failures per address and window; beyond them, guesses are slowed and answered with 429. */
export const FAILED_AUTH_ALLOWANCE = 20;
export const FAILED_AUTH_WINDOW_MS = 10 * 60 * 1000;
/** Beyond the allowance, an address gets one credential check per this interval. */
export const THROTTLED_CHECK_SPACING_MS = 1000;
/** Longest a request waits for its address's turn; past this it is refused unchecked. */
const MAX_WAIT_MS = 10_000;
/** Bounds the memory an attacker rotating addresses can make us spend. */
const MAX_TRACKED_ADDRESSES = 10_000;

interface AddressRecord {
  failures: number;
  windowEndsAt: number;
  /** When the next credential check from this address may run, once it is over its allowance. */
  nextCheckAt: number;
}

/**
 * Slows guessing of the master key (and of virtual keys) per client address, counting failures only.
 *
 * Within its allowance an address is never slowed. Beyond it, checks from that address are spaced
 * THROTTLED_CHECK_SPACING_MS apart, however many it sends in parallel, and each wrong guess is
 * answered 429. A right key is still checked and accepted, at most a few seconds late: the valid
 * key is never locked out, and a sweep of guesses gains one try per second per address. Only if an
 * address keeps more than MAX_WAIT_MS of checks queued is a request refused without being checked.
 *
 * Per process: N instances give an attacker N times the rate, still bounded.
 */
@Injectable()
export class AuthThrottle {
  private readonly addresses = new Map<string, AddressRecord>();

  /** Runs `check` in this address's turn; a failure it throws is counted, and past the allowance becomes a 429. */
  async guard<T>(address: string, check: () => T | Promise<T>, isGuess: (error: unknown) => boolean, now = Date.now): Promise<T> {
    await this.waitForTurn(address, now());
    try {
      return await check();
    } catch (error) {
      if (isGuess(error) && this.recordFailure(address, now())) throw new AuthThrottledError(Math.ceil(THROTTLED_CHECK_SPACING_MS / 1000));
      throw error;
    }
  }

  private async waitForTurn(address: string, now: number): Promise<void> {
    const record = this.current(address, now);
    if (!record || record.failures < FAILED_AUTH_ALLOWANCE) return;
    const turn = Math.max(now, record.nextCheckAt);
    const wait = turn - now;
    if (wait > MAX_WAIT_MS) throw new AuthThrottledError(Math.ceil(wait / 1000));
    record.nextCheckAt = turn + THROTTLED_CHECK_SPACING_MS;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** Counts a failure; true when the address is now past its allowance. */
  private recordFailure(address: string, now: number): boolean {
    let record = this.current(address, now);
    if (!record) {
      if (this.addresses.size >= MAX_TRACKED_ADDRESSES) this.evictExpired(now);
      record = { failures: 0, windowEndsAt: now + FAILED_AUTH_WINDOW_MS, nextCheckAt: 0 };
      this.addresses.set(address, record);
    }
    record.failures++;
    return record.failures > FAILED_AUTH_ALLOWANCE;
  }

  private current(address: string, now: number): AddressRecord | undefined {
    const record = this.addresses.get(address);
    if (record && record.windowEndsAt <= now) {
      this.addresses.delete(address);
      return undefined;
    }
    return record;
  }

  private evictExpired(now: number): void {
    for (const [address, record] of this.addresses) if (record.windowEndsAt <= now) this.addresses.delete(address);
    // Still full of live attackers: forget the oldest rather than grow without bound.
    if (this.addresses.size >= MAX_TRACKED_ADDRESSES) this.addresses.delete(this.addresses.keys().next().value!);
  }
}

/** A wrong secret that was presented: what a guesser produces (a missing key, a blocked or expired one are not guesses). */
export function isWrongSecret(error: unknown): boolean {
  return error instanceof AuthError && (error.code === AuthErrorCode.INVALID_KEY || error.code === AuthErrorCode.MASTER_KEY_REQUIRED);
}

/** The client's address as Express resolved it: the socket's peer, or the proxy's X-Forwarded-For entry when trusted. */
export function clientAddress(request: Request): string {
  return request.ip ?? request.socket?.remoteAddress ?? 'unknown';
}
