import { serverToolsIn } from './server-tools';

describe('serverToolsIn: tools the provider runs and bills per use', () => {
  it('finds Anthropic server tools, unknown typed tools, the MCP connector and OpenAI web search', () => {
    expect(
      serverToolsIn({
        tools: [
          { type: 'web_search_20250305', name: 'web_search' },
          { type: 'web_fetch_20250910', name: 'web_fetch' },
          { type: 'code_execution_20250825', name: 'code_execution' },
          { type: 'some_future_tool_20270101', name: 'x' },
        ],
        mcp_servers: [{ type: 'url', url: 'https://mcp.example.com' }],
        web_search_options: {},
      }),
    ).toEqual([
      'web_search_20250305',
      'web_fetch_20250910',
      'code_execution_20250825',
      'some_future_tool_20270101',
      'web_search_options',
      'mcp_servers',
    ]);
  });

  it('lets client-run tools through: OpenAI functions and custom tools, Anthropic custom and schema tools', () => {
    expect(
      serverToolsIn({
        tools: [
          { type: 'function', function: { name: 'f' } },
          { type: 'custom', name: 'c' },
          { name: 'get_weather', input_schema: {} },
          { type: 'bash_20250124', name: 'bash' },
          { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
          { type: 'computer_20250124', name: 'computer' },
          { type: 'memory_20250818', name: 'memory' },
        ],
        mcp_servers: [],
        web_search_options: null,
      }),
    ).toEqual([]);
    expect(serverToolsIn({})).toEqual([]);
  });
});
