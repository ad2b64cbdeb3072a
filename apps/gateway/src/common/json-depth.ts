/**
 * Deepest nesting of arrays and objects a request body may have. Express parses any depth
 * (JSON.parse is iterative), but everything after it — validation, class-transformer, the token
 * estimate, provider translation, JSON.stringify — walks recursively, and a body nested 200,000
 * levels deep overflows the stack there. Real payloads (JSON Schemas of tools, Claude Code's
 * metadata) stay well under this.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `maxDepth`, found without recursion. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') pending.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
