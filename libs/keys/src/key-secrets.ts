import { createHash, randomBytes } from 'node:crypto';

/** `sk-` + 192 random bits, URL-safe: shown once, never stored. */
export function generateVirtualKey(): string {
  return `sk-${randomBytes(24).toString('base64url')}`;
}

/** The stored form of a key: SHA-256 hex, LiteLLM's `token`. */
export function hashKey(rawKey: string): string {
  return createHash('sha256').update(rawKey).digest('hex');
}

/** `sk-...abcd`: enough to recognise a key in a listing, useless to an attacker. */
export function maskKey(rawKey: string): string {
  return `sk-...${rawKey.slice(-4)}`;
}

/** Whether `value` has the form of a token (a key's SHA-256 hex) rather than of a raw key or an alias. */
export function isKeyToken(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

/** Admin routes accept either the raw key or its token (hash), as LiteLLM does. */
export function tokenOf(keyOrToken: string): string {
  return isKeyToken(keyOrToken) ? keyOrToken : hashKey(keyOrToken);
}
