export * from './fake-upstream';
export * from './openai-fake';
export * from './anthropic-fake';
export * from './ollama-fake';
