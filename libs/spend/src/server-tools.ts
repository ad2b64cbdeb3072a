/**
 * Tools the provider runs itself and bills per use, on top of tokens: Anthropic's server tools
 * (web_search, web_fetch, code_execution… — https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview),
 * its MCP connector, OpenAI's built-in web search. Their fees and the tokens their results add
 * cannot be bounded before the call, so where a money budget applies they are refused.
 *
 * Tools the client runs are fine: OpenAI `function` and `custom` tools, Anthropic custom tools
 * (no `type`, or `custom`) and its client-executed schema tools (bash, text editor, computer, memory).
 * Any other typed tool — including ones added after this was written — counts as a server tool.
 */
const CLIENT_TOOL_TYPES = /^(function|custom|bash_\d+|text_editor_\d+|computer_\d+|memory_\d+)$/;

/** The server-side tools a request asks for, by type; empty when it asks for none. */
export function serverToolsIn(request: { tools?: unknown; web_search_options?: unknown; mcp_servers?: unknown }): string[] {
  const found: string[] = [];
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    const type = (tool as { type?: unknown } | null)?.type;
    if (type === undefined || type === null) continue;
    if (typeof type !== 'string' || !CLIENT_TOOL_TYPES.test(type)) found.push(String(type));
  }
  if (request.web_search_options !== undefined && request.web_search_options !== null) found.push('web_search_options');
  if (Array.isArray(request.mcp_servers) && request.mcp_servers.length > 0) found.push('mcp_servers');
  return found;
}
