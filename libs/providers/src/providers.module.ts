import { Global, Module } from '@nestjs/common';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { OllamaAdapter } from './ollama/ollama.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import { ProviderRegistry } from './provider-registry';
import { UpstreamHttp } from './upstream-http';

@Global()
@Module({
  providers: [UpstreamHttp, OpenAIAdapter, AnthropicAdapter, OllamaAdapter, ProviderRegistry],
  exports: [UpstreamHttp, ProviderRegistry],
})
export class ProvidersModule {}
