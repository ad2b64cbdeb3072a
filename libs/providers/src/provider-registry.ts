import { Injectable } from '@nestjs/common';

import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import type { ProviderName } from './deployment';
import { OllamaAdapter } from './ollama/ollama.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import type { ProviderAdapter } from './provider-adapter';

/** The adapter for each provider a deployment can name. */
@Injectable()
export class ProviderRegistry {
  private readonly adapters: Record<ProviderName, ProviderAdapter>;

  constructor(openai: OpenAIAdapter, anthropic: AnthropicAdapter, ollama: OllamaAdapter) {
    this.adapters = { openai, anthropic, ollama };
  }

  adapterFor(provider: ProviderName): ProviderAdapter {
    return this.adapters[provider];
  }
}
