import { type GatewayConfigFile, type GatewayProcess, spawnGateway, writeGatewayConfig } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The gateway never runs open by accident: without a configured master key it generates one on
 * first start, stores it (hashed) with the data and prints it once; a restart keeps using it.
 */
describe('a gateway started without a master key', () => {
  let database: TestDatabase;
  let config: GatewayConfigFile;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = writeGatewayConfig({
      model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', api_base: 'http://127.0.0.1:9/v1' } }],
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    config.remove();
    await database.drop();
  });

  const keyList = (url: string, key: string) =>
    fetch(`${url}/key/list`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

  it('generates a strong key, prints it once, and keeps it across restarts', async () => {
    gateway = await spawnGateway({ config, databaseUrl: database.url, masterKey: '' });
    const printed = /Generated one[\s\S]*?(sk-[A-Za-z0-9_-]{43})/.exec(gateway.output());
    expect(printed).not.toBeNull();
    const masterKey = printed![1];
    expect(await keyList(gateway.url, masterKey)).toBe(200);
    expect(await keyList(gateway.url, 'sk-guess')).toBe(401);
    expect(await keyList(gateway.url, '')).toBe(401);

    await gateway.stop();
    gateway = await spawnGateway({ config, databaseUrl: database.url, masterKey: '' });
    expect(gateway.output()).not.toContain('Generated one');
    expect(gateway.output()).not.toContain(masterKey);
    expect(await keyList(gateway.url, masterKey)).toBe(200);
  });
});
