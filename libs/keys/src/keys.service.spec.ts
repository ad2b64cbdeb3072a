import type { BudgetAlerts } from '@tollgate/alerts';
import type { AccessEpoch } from '@tollgate/database';
import { AdminError, AdminErrorCode, type TeamsService } from '@tollgate/teams';

import type { ApiKey } from './api-key';
import type { ApiKeysRepository, KeySettings } from './api-keys.repository';
import { hashKey } from './key-secrets';
import { KeysService } from './keys.service';

const NOW = Date.parse('2026-01-31T12:00:00Z');
const DAY = 86_400_000;

function setup() {
  const stored = new Map<string, ApiKey>();
  const repository = {
    insert: jest.fn(async (token: string, keyName: string, _settings: KeySettings, _now: number) => {
      stored.set(token, { token, keyName } as ApiKey);
      return 'written';
    }),
    update: jest.fn().mockResolvedValue('written'),
    replaceToken: jest.fn(async (_old: string, token: string, keyName: string) => {
      stored.set(token, { token, keyName } as ApiKey);
      return true;
    }),
    delete: jest.fn().mockResolvedValue({ deleted: true }),
    findByToken: jest.fn(async (token: string) => stored.get(token) ?? ({ token } as ApiKey)),
    page: jest.fn(),
    countByTeam: jest.fn(),
  };
  const teams = { get: jest.fn().mockResolvedValue({ teamId: 'research' }) };
  const epoch = { refresh: jest.fn().mockResolvedValue(undefined) };
  const budgetAlerts = { budgetChanged: jest.fn() };
  const service = new KeysService(
    repository as unknown as ApiKeysRepository,
    epoch as unknown as AccessEpoch,
    teams as unknown as TeamsService,
    budgetAlerts as unknown as BudgetAlerts,
  );
  return { repository, teams, epoch, budgetAlerts, service };
}

async function adminError(promise: Promise<unknown>): Promise<AdminError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AdminError);
  return error as AdminError;
}

describe('KeysService', () => {
  it('stores only the hash and a masked name; the raw key is in the answer alone', async () => {
    const { repository, service } = setup();
    const created = await service.generate({ max_budget: 5 }, NOW);
    expect(created.key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    const [token, keyName, settings] = repository.insert.mock.calls[0];
    expect(token).toBe(hashKey(created.key));
    expect(keyName).toBe(`sk-...${created.key.slice(-4)}`);
    expect(JSON.stringify(repository.insert.mock.calls)).not.toContain(created.key);
    expect(settings).toMatchObject({ maxBudgetNanos: 5_000_000_000, expiresAt: null, blocked: false });
  });

  it('a key for a team that does not exist is refused before anything is written', async () => {
    const { repository, teams, service } = setup();
    teams.get.mockRejectedValue(new AdminError(AdminErrorCode.TEAM_NOT_FOUND, 'Team ghost does not exist', 'team_id'));
    expect((await adminError(service.generate({ team_id: 'ghost' }, NOW))).code).toBe(AdminErrorCode.TEAM_NOT_FOUND);
    expect(repository.insert).not.toHaveBeenCalled();
  });

  it.each([
    ['30d', NOW + 30 * DAY],
    ['12h', NOW + 12 * 3_600_000],
    // Calendar months: January 31st plus one month is the last day JavaScript rolls it to.
    ['1mo', Date.UTC(2026, 2, 3, 12)],
  ])('a key with duration %s expires at its exact end', async (duration, expiresAt) => {
    const { repository, service } = setup();
    await service.generate({ duration }, NOW);
    expect(repository.insert.mock.calls[0]?.[2].expiresAt).toBe(expiresAt);
  });

  it('a taken alias is a key_alias_exists naming the alias', async () => {
    const { repository, service } = setup();
    repository.insert.mockResolvedValue('alias_taken');
    const error = await adminError(service.generate({ key_alias: 'laptop' }, NOW));
    expect([error.code, error.param, error.message]).toEqual([
      AdminErrorCode.KEY_ALIAS_EXISTS,
      'key_alias',
      'A key with the alias laptop already exists',
    ]);
  });

  it('an update named by the raw key writes to its token, only the fields present', async () => {
    const { repository, service } = setup();
    await service.update('sk-the-raw-key', { rpm_limit: 10, duration: null }, NOW);
    const [token, changes] = repository.update.mock.calls[0];
    expect(token).toBe(hashKey('sk-the-raw-key'));
    expect(changes).toMatchObject({ rpmLimit: 10, expiresAt: null, maxBudgetNanos: undefined, blocked: undefined });
  });

  it('a budget or window set by /key/update has the key checked for alerts at once; other fields do not', async () => {
    const { repository, budgetAlerts, service } = setup();
    repository.findByToken.mockResolvedValue({ token: 'x', keyId: 'key-7' } as ApiKey);
    await service.update('sk-the-raw-key', { rpm_limit: 10 }, NOW);
    expect(budgetAlerts.budgetChanged).not.toHaveBeenCalled();
    await service.update('sk-the-raw-key', { max_budget: 1 }, NOW);
    await service.update('sk-the-raw-key', { budget_duration: '1d' }, NOW);
    expect(budgetAlerts.budgetChanged.mock.calls).toEqual([[{ level: 'key', id: 'key-7' }], [{ level: 'key', id: 'key-7' }]]);
  });

  it('an update of a key that does not exist is a key_not_found', async () => {
    const { repository, epoch, service } = setup();
    repository.update.mockResolvedValue('not_found');
    expect((await adminError(service.update('f'.repeat(64), { blocked: true }, NOW))).code).toBe(AdminErrorCode.KEY_NOT_FOUND);
    expect(epoch.refresh).not.toHaveBeenCalled();
  });

  it('a deletion that names a missing alias says which field was wrong', async () => {
    const { repository, service } = setup();
    repository.delete.mockResolvedValue({ deleted: false, missing: { alias: 'laptop' } });
    const error = await adminError(service.delete({ keys: ['sk-a'], key_aliases: ['laptop'] }));
    expect([error.code, error.param, error.message]).toEqual([AdminErrorCode.KEY_NOT_FOUND, 'key_aliases', 'No key has the alias laptop']);
    expect(repository.delete).toHaveBeenCalledWith([hashKey('sk-a')], ['laptop']);
  });

  it('regenerating an unknown key is a key_not_found', async () => {
    const { repository, service } = setup();
    repository.replaceToken.mockResolvedValue(false);
    expect((await adminError(service.regenerate('sk-gone', NOW))).code).toBe(AdminErrorCode.KEY_NOT_FOUND);
  });
});
