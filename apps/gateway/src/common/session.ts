import type { Request } from 'express';

/** Session headers, most specific first. Codex CLI 0.17x sends `session-id` (older releases `session_id`). */
const SESSION_HEADERS = ['x-litellm-session-id', 'x-claude-code-session-id', 'session-id', 'session_id'];

/**
 * The client session a call belongs to, for per-session attribution: LiteLLM's
 * `x-litellm-session-id`, Claude Code's `x-claude-code-session-id`, Codex's `session-id` header or
 * `client_metadata.session_id`, or the session inside Claude Code's `metadata.user_id` (JSON form,
 * or the legacy `user_…_account_…_session_<uuid>`).
 */
export function sessionIdOf(req: Request, body: { metadata?: unknown; client_metadata?: unknown }): string | null {
  for (const name of SESSION_HEADERS) {
    const header = req.headers[name];
    if (typeof header === 'string' && header !== '') return header.slice(0, 200);
  }
  const codexSession = (body.client_metadata as { session_id?: unknown } | undefined)?.session_id;
  if (typeof codexSession === 'string' && codexSession !== '') return codexSession.slice(0, 200);
  const userId = (body.metadata as { user_id?: unknown } | undefined)?.user_id;
  if (typeof userId !== 'string') return null;
  if (userId.startsWith('{')) {
    try {
      const parsed = JSON.parse(userId) as { session_id?: unknown };
      return typeof parsed.session_id === 'string' ? parsed.session_id : null;
    } catch {
      return null;
    }
  }
  const legacy = /_session_([0-9a-f-]{36})$/i.exec(userId);
  return legacy ? legacy[1] : null;
}
