/** Refusals for budget written to the ledger per key per minute; the rest are only counted. */
export const REFUSAL_ROWS_PER_KEY_MINUTE = 60;
const MINUTE_MS = 60_000;

/**
 * Bounds the ledger rows that budget refusals write. A refused call costs nothing and needs no
 * database work to refuse, so without a bound a key past its budget could grow `spend_logs` as
 * fast as it can send requests. Each key gets REFUSAL_ROWS_PER_KEY_MINUTE rows per minute (per
 * instance); refusals beyond that are counted, and the key's next written refusal row carries the
 * count as `metadata.coalesced_refusals`.
 */
export class RefusalLog {
  private minute = -1;
  private readonly written = new Map<string, number>();
  private readonly coalesced = new Map<string, number>();

  /** Whether this refusal gets its own row; if so, how many earlier ones it stands for as well. */
  admit(keyId: string, now: number): { write: boolean; coalesced: number } {
    const minute = Math.floor(now / MINUTE_MS);
    if (minute !== this.minute) {
      this.minute = minute;
      this.written.clear();
    }
    const written = this.written.get(keyId) ?? 0;
    if (written >= REFUSAL_ROWS_PER_KEY_MINUTE) {
      this.coalesced.set(keyId, (this.coalesced.get(keyId) ?? 0) + 1);
      return { write: false, coalesced: 0 };
    }
    this.written.set(keyId, written + 1);
    const coalesced = this.coalesced.get(keyId) ?? 0;
    this.coalesced.delete(keyId);
    return { write: true, coalesced };
  }
}
