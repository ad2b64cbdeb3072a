import { Sql } from '@tollgate/database';
import type { ResponseObject } from '@tollgate/providers';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../apps/gateway/src/database/data-source-options';
import { RESPONSE_TTL_MS, ResponseStore } from '../../apps/gateway/src/responses/response-store';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Stored responses at the store level, on the run's driver: owned by one key, read back as whole
 * conversations in one query, gone after their TTL unless the conversation goes on, swept on a
 * later write, and never readable across keys.
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

  const DAY = 24 * 60 * 60 * 1000;
  const said = (text: string) => ({ type: 'message' as const, role: 'user' as const, content: text });
  const response = (id: string, reply = `reply to ${id}`) =>
    ({ id, object: 'response', output: [{ type: 'message', role: 'assistant', content: reply }] }) as unknown as ResponseObject;
  const turn = (id: string, previousId: string | null, text = `input of ${id}`) => ({
    response: response(id),
    input: [said(text)],
    previousId,
  });

  it('gives a response back to its owner only, and deletes it only for its owner', async () => {
    await store.save('owner', turn('resp_a', null, 'ünïcödé 🚀'), 1_000);

    expect(await store.find('owner', 'resp_a', 2_000)).toEqual(turn('resp_a', null, 'ünïcödé 🚀'));
    expect(await store.find('stranger', 'resp_a', 2_000)).toBeUndefined();
    expect(await store.conversation('stranger', 'resp_a', 2_000)).toBeUndefined();
    expect(await store.delete('stranger', 'resp_a', 2_000)).toBe(false);
    expect(await store.delete('owner', 'resp_a', 2_000)).toBe(true);
    expect(await store.find('owner', 'resp_a', 2_000)).toBeUndefined();
  });

  it('reads a whole conversation back in order, each turn stored once', async () => {
    await store.save('owner', turn('resp_c1', null), 1_000);
    await store.save('owner', turn('resp_c2', 'resp_c1'), 2_000);
    await store.save('owner', turn('resp_c3', 'resp_c2'), 3_000);

    const items = await store.conversation('owner', 'resp_c3', 4_000);

    expect(items?.map((item) => (item as { content: string }).content)).toEqual([
      'input of resp_c1',
      'reply to resp_c1',
      'input of resp_c2',
      'reply to resp_c2',
      'input of resp_c3',
      'reply to resp_c3',
    ]);
    const stored = await sql.query<{ input_items: string }>(`SELECT input_items FROM stored_responses WHERE id = ?`, ['resp_c3']);
    expect(JSON.parse(stored.rows[0].input_items)).toEqual([said('input of resp_c3')]);
  });

  it('refuses a conversation with a hole: a deleted turn in the middle is not silently skipped', async () => {
    await store.save('owner', turn('resp_h1', null), 1_000);
    await store.save('owner', turn('resp_h2', 'resp_h1'), 2_000);
    await store.save('owner', turn('resp_h3', 'resp_h2'), 3_000);
    await store.delete('owner', 'resp_h2', 4_000);

    expect(await store.conversation('owner', 'resp_h3', 5_000)).toBeUndefined();
  });

  it('expires an idle conversation after its TTL, but a new turn renews every earlier one', async () => {
    const start = 100 * DAY;
    await store.save('owner', turn('resp_t1', null), start);
    await store.save('owner', turn('resp_idle', null), start);
    await store.save('owner', turn('resp_t2', 'resp_t1'), start + 20 * DAY);

    const afterFirstTtl = start + RESPONSE_TTL_MS + DAY;
    expect(await store.find('owner', 'resp_idle', afterFirstTtl)).toBeUndefined();
    expect(await store.conversation('owner', 'resp_t2', afterFirstTtl)).toHaveLength(4);
    expect(await store.conversation('owner', 'resp_t2', start + 20 * DAY + RESPONSE_TTL_MS)).toBeUndefined();
  });

  it('sweeps expired rows on a later write', async () => {
    // A store of its own: the sweep's clock must not be ahead from earlier tests.
    const fresh = new ResponseStore(sql);
    await fresh.save('owner', turn('resp_old', null), 10 * DAY);
    await fresh.save('owner', turn('resp_new', null), 10 * DAY + RESPONSE_TTL_MS + 60_000);

    const rows = await sql.query<{ id: string }>(`SELECT id FROM stored_responses WHERE id = ?`, ['resp_old']);
    expect(rows.rows).toEqual([]);
  });

  it("keeps the first copy when an upstream repeats a response id, so no key can take over another key's response", async () => {
    await store.save('owner', turn('resp_dup', null, 'mine'), 1_000);
    await store.save('intruder', turn('resp_dup', null, 'theirs'), 1_001);

    expect((await store.find('owner', 'resp_dup', 2_000))?.input).toEqual([said('mine')]);
    expect(await store.find('intruder', 'resp_dup', 2_000)).toBeUndefined();
  });
});
