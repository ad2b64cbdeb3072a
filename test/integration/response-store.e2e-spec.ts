import { DataSource } from 'typeorm';
import { Sql } from '@tollgate/database';
import type { ResponseObject } from '@tollgate/providers';
import { dataSourceOptions } from '../../apps/gateway/src/database/data-source-options';
import { RESPONSE_TTL_MS, ResponseStore } from '../../apps/gateway/src/responses/response-store';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Stored responses at the store level, on the run's driver: owned by one key, gone after their
 * TTL, swept on a later write, and never readable across keys.
 */
describe('ResponseStore', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Sql;
  let store: ResponseStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.target));
    await dataSource.initialize();
    sql = Sql.fromDataSource(dataSource);
    store = new ResponseStore(sql);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  const response = (id: string) => ({ id, object: 'response', output: [{ type: 'message', role: 'assistant', content: 'ünïcödé 🚀' }] }) as unknown as ResponseObject;
  const conversation = [{ type: 'message' as const, role: 'user' as const, content: 'earlier' }, { type: 'message' as const, role: 'user' as const, content: 'now' }];

  it('gives a response back to its owner only, with its conversation intact', async () => {
    await store.save('owner', { response: response('resp_a'), conversation, inputStart: 1 }, 1_000);

    expect(await store.find('owner', 'resp_a', 2_000)).toEqual({ response: response('resp_a'), conversation, inputStart: 1 });
    expect(await store.find('stranger', 'resp_a', 2_000)).toBeUndefined();
    expect(await store.delete('stranger', 'resp_a', 2_000)).toBe(false);
  });

  it('forgets a response once its TTL has passed, and sweeps the row on a later write', async () => {
    const createdAt = 10_000_000;
    await store.save('owner', { response: response('resp_old'), conversation, inputStart: 0 }, createdAt);
    const expired = createdAt + RESPONSE_TTL_MS;

    expect(await store.find('owner', 'resp_old', expired - 1)).toBeDefined();
    expect(await store.find('owner', 'resp_old', expired)).toBeUndefined();
    expect(await store.delete('owner', 'resp_old', expired)).toBe(false);

    await store.save('owner', { response: response('resp_new'), conversation, inputStart: 0 }, expired + 60_000);
    const rows = await sql.query<{ id: string }>(`SELECT id FROM stored_responses WHERE id = ?`, ['resp_old']);
    expect(rows.rows).toEqual([]);
  });

  it('keeps the first copy when an upstream repeats a response id', async () => {
    await store.save('owner', { response: response('resp_dup'), conversation, inputStart: 0 }, 1_000);
    await store.save('intruder', { response: response('resp_dup'), conversation: [], inputStart: 0 }, 1_001);

    expect((await store.find('owner', 'resp_dup', 2_000))?.conversation).toEqual(conversation);
    expect(await store.find('intruder', 'resp_dup', 2_000)).toBeUndefined();
  });
});
