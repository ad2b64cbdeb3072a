import type { Request } from 'express';

/**
 * The client session a call belongs to, for per-session attribution: LiteLLM's
 * `x-litellm-session-id`, Claude Code's `x-claude-code-session-id`, or the session inside
 * Claude Code's `metadata.user_id` (JSON form, or the legacy `user_…_account_…_session_<uuid>`).
 */
export function sessionIdOf(req: Request, body: { metadata?: unknown }): string | null {
  const header = req.headers['x-litellm-session-id'] ?? req.headers['x-claude-code-session-id'];
  if (typeof header === 'string' && header !== '') return header.slice(0, 200);
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
