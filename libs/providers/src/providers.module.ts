import { Global, Module } from '@nestjs/common';

import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { AnthropicPassthrough } from './anthropic/anthropic-passthrough';
import { OllamaAdapter } from './ollama/ollama.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import { OpenAIResponsesPassthrough } from './openai/openai-responses-passthrough';
import { ProviderRegistry } from './provider-registry';
import { UpstreamHttp } from './upstream-http';

@Global()
@Module({
  providers: [
    UpstreamHttp,
    OpenAIAdapter,
    AnthropicAdapter,
    OllamaAdapter,
    ProviderRegistry,
    AnthropicPassthrough,
    OpenAIResponsesPassthrough,
  ],
  exports: [UpstreamHttp, ProviderRegistry, AnthropicPassthrough, OpenAIResponsesPassthrough],
})
export class ProvidersModule {}
