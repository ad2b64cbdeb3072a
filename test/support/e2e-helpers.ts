/**
 * Small pieces shared by the end-to-end suites: an OpenAI SDK client aimed at a test gateway that
 * also keeps the raw bytes it received, and helpers for reading streams and error bodies.
 */
import OpenAI from 'openai';

import { TEST_MASTER_KEY } from './test-gateway';

/** A running gateway: in-process (TestGateway) or a spawned process. */
export interface GatewayAddress {
  url: string;
}

export interface RecordingClient {
  client: OpenAI;
  /**
   * The full raw body of the most recent response, resolved once the body has ended. The SDK's
   * iterator ends quietly whether or not `data: [DONE]` arrived, so only the wire bytes can prove it did.
   */
  lastRawBody(): Promise<string>;
}

export function recordingClient(gateway: GatewayAddress, apiKey = TEST_MASTER_KEY): RecordingClient {
  let last: Promise<string> = Promise.resolve('');
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    // A clone tees the body: the SDK reads one branch, we read the other to its end.
    last = response.clone().text();
    return response;
  };
  const client = new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0, fetch: recordingFetch });
  return { client, lastRawBody: () => last };
}

export function plainClient(gateway: GatewayAddress): OpenAI {
  return new OpenAI({ apiKey: TEST_MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}

export async function collectChunks<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const chunks: T[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

export function contentOf(chunks: OpenAI.ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
}

/** Reads the stream until it throws; returns what arrived before the failure and the failure itself. */
export async function drainUntilError<T>(stream: AsyncIterable<T>): Promise<{ chunks: T[]; error: unknown }> {
  const chunks: T[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

/** Whatever a call threw, so a test can assert on the error's fields instead of only "it threw". */
export async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** Signs of a leaked stack trace in a response body: a V8 frame, or a TypeScript source position. */
export const STACK_TRACE_PATTERNS = [/\bat \S+ \(/, /\n\s+at /, /\.ts:\d+/];

export function looksLikeStackTrace(text: string): boolean {
  return STACK_TRACE_PATTERNS.some((pattern) => pattern.test(text));
}

export const WEATHER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'],
    },
  },
};
