import { Global, Module } from '@nestjs/common';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { AnthropicPassthrough } from './anthropic/anthropic-passthrough';
import { OllamaAdapter } from './ollama/ollama.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import { ProviderRegistry } from './provider-registry';
import { UpstreamHttp } from './upstream-http';

@Global()
@Module({
  providers: [UpstreamHttp, OpenAIAdapter, AnthropicAdapter, OllamaAdapter, ProviderRegistry, AnthropicPassthrough],
  exports: [UpstreamHttp, ProviderRegistry, AnthropicPassthrough],
})
export class ProvidersModule {}
