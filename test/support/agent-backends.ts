import { AnthropicFake, OllamaFake, OpenAIFake } from '../fakes';

export const OPENAI_KEY = 'sk-openai-test';
export const ANTHROPIC_KEY = 'sk-ant-test';

/**
 * The three upstreams a coding agent meets behind the gateway, and the config that serves each
 * under its own alias: `gpt` (OpenAI, relayed), `claude` (Anthropic) and a local Ollama alias that
 * falls back to `claude` when Ollama is down.
 */
export class AgentBackends {
  readonly openai = new OpenAIFake({ apiKey: OPENAI_KEY });
  readonly anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
  readonly ollama = new OllamaFake();

  constructor(readonly localAlias: string) {}

  async start(): Promise<void> {
    await Promise.all([this.openai.start(), this.anthropic.start(), this.ollama.start()]);
  }

  gatewayConfig(): Record<string, unknown> {
    return {
      model_list: [
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: this.openai.apiBase, api_key: OPENAI_KEY } },
        {
          model_name: 'claude',
          litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: this.anthropic.url, api_key: ANTHROPIC_KEY },
        },
        { model_name: this.localAlias, litellm_params: { model: 'ollama_chat/llama3.2', api_base: this.ollama.url } },
      ],
      router_settings: { fallbacks: [{ [this.localAlias]: ['claude'] }] },
    };
  }

  /** Forgets requests and scripts, and brings back an Ollama a test stopped. */
  async reset(): Promise<void> {
    this.openai.reset();
    this.anthropic.reset();
    this.ollama.reset();
    if (this.ollama.isStopped) await this.ollama.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.openai.stop(), this.anthropic.stop(), this.ollama.stop()]);
  }
}
