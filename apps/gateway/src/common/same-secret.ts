import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two strings of any length, via their SHA-256 digests. */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
