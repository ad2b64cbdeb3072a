export * from './anthropic-fake';
export * from './fake-upstream';
export * from './ollama-fake';
export * from './openai-fake';
