import type { AddressInfo } from 'node:net';

import type { NestExpressApplication } from '@nestjs/platform-express';

import type { GatewayConfig } from '../../apps/gateway/src/config/gateway-config';
import { parseLiteLLMConfig } from '../../apps/gateway/src/config/litellm-config.loader';
import { createGateway } from '../../apps/gateway/src/gateway.factory';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface TestGateway {
  url: string;
  config: GatewayConfig;
  app: NestExpressApplication;
  database: TestDatabase;
  close(): Promise<void>;
}

export const TEST_MASTER_KEY = 'sk-test-master-key-0123456789abcdef';

/**
 * Boots the real gateway in this process from a LiteLLM config document, on a fresh database of
 * the run's driver, listening on a free port.
 */
export async function startTestGateway(
  document: Record<string, unknown>,
  options: { env?: Record<string, string>; database?: TestDatabase; configure?: (config: GatewayConfig) => void } = {},
): Promise<TestGateway> {
  const database = options.database ?? (await createTestDatabase());
  const withMasterKey = {
    ...document,
    general_settings: { master_key: TEST_MASTER_KEY, ...(document.general_settings as object | undefined) },
  };
  const { config } = parseLiteLLMConfig(withMasterKey, 'test-config.yaml', { ...options.env });
  config.database = database.target;
  options.configure?.(config);
  // In a test run only problems are worth printing.
  const app = await createGateway(config, ['error', 'warn']);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    app,
    database,
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
