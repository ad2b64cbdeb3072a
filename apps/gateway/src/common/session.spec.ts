import type { Request } from 'express';

import { sessionIdOf } from './session';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as Request;
const CODEX_SESSION = '01a23c89-a22a-7900-ae89-a2bc6e88579c';

describe('sessionIdOf', () => {
  it("reads Codex CLI 0.171's session-id header (recorded from the real CLI)", () => {
    expect(sessionIdOf(request({ 'session-id': CODEX_SESSION, 'thread-id': CODEX_SESSION, originator: 'codex_exec' }), {})).toBe(
      CODEX_SESSION,
    );
  });

  it('reads the session_id header of older Codex releases', () => {
    expect(sessionIdOf(request({ session_id: CODEX_SESSION }), {})).toBe(CODEX_SESSION);
  });

  it("falls back to Codex's client_metadata.session_id when a proxy dropped the headers", () => {
    expect(sessionIdOf(request({}), { client_metadata: { session_id: CODEX_SESSION, turn_id: 'x' } })).toBe(CODEX_SESSION);
  });

  it('prefers an explicit x-litellm-session-id over what the client sends on its own', () => {
    expect(sessionIdOf(request({ 'x-litellm-session-id': 'invoice-42', 'session-id': CODEX_SESSION }), {})).toBe('invoice-42');
  });

  it('caps a session id an attacker makes huge, so the ledger row stays small', () => {
    expect(sessionIdOf(request({ 'session-id': 'x'.repeat(10_000) }), {})).toHaveLength(200);
    expect(sessionIdOf(request({}), { client_metadata: { session_id: 'y'.repeat(10_000) } })).toHaveLength(200);
  });
});
