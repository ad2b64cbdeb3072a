import type { BudgetAlerts } from '@tollgate/alerts';
import type { AccessEpoch } from '@tollgate/database';

import { AdminError, AdminErrorCode } from './admin.errors';
import type { Team } from './team';
import type { TeamsRepository } from './teams.repository';
import { TeamsService } from './teams.service';

const NOW = Date.parse('2026-12-03T12:00:00Z');

function team(teamId: string): Team {
  return {
    teamId,
    teamAlias: null,
    models: [],
    maxBudgetNanos: null,
    budgetDuration: null,
    tpmLimit: null,
    rpmLimit: null,
    metadata: {},
    blocked: false,
    spendNanos: 0,
    reservedNanos: 0,
    windowStart: 0,
    createdAt: NOW,
    updatedAt: NOW,
  };
}

function setup() {
  const repository = {
    insert: jest.fn().mockResolvedValue(true),
    update: jest.fn().mockResolvedValue(true),
    delete: jest.fn().mockResolvedValue({ deleted: true }),
    find: jest.fn(async (teamId: string): Promise<Team | null> => team(teamId)),
    list: jest.fn().mockResolvedValue([]),
  };
  const epoch = { refresh: jest.fn().mockResolvedValue(undefined) };
  const budgetAlerts = { budgetChanged: jest.fn() };
  const service = new TeamsService(
    repository as unknown as TeamsRepository,
    epoch as unknown as AccessEpoch,
    budgetAlerts as unknown as BudgetAlerts,
  );
  return { repository, epoch, budgetAlerts, service };
}

async function adminError(promise: Promise<unknown>): Promise<AdminError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AdminError);
  return error as AdminError;
}

describe('TeamsService', () => {
  it('creates a team with its budget in exact nano-dollars and every unset setting at its default', async () => {
    const { repository, epoch, service } = setup();
    await service.create({ team_id: 'research', max_budget: 0.1 + 0.2, models: ['gpt'] }, NOW);
    expect(repository.insert).toHaveBeenCalledWith(
      'research',
      {
        teamAlias: null,
        models: ['gpt'],
        maxBudgetNanos: 300_000_000,
        budgetDuration: null,
        tpmLimit: null,
        rpmLimit: null,
        metadata: {},
        blocked: false,
      },
      NOW,
    );
    // This instance must not answer the next request from its stale cache.
    expect(epoch.refresh).toHaveBeenCalledTimes(1);
  });

  it('gives a team without an id a random one', async () => {
    const { repository, service } = setup();
    await service.create({}, NOW);
    expect(repository.insert.mock.calls[0][0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an id that is taken, naming the field, without touching the cache', async () => {
    const { repository, epoch, service } = setup();
    repository.insert.mockResolvedValue(false);
    const error = await adminError(service.create({ team_id: 'research' }, NOW));
    expect([error.code, error.param, error.message]).toEqual([AdminErrorCode.TEAM_EXISTS, 'team_id', 'Team research already exists']);
    expect(epoch.refresh).not.toHaveBeenCalled();
  });

  it('updates only the fields present; null clears the budget', async () => {
    const { repository, service } = setup();
    await service.update('research', { max_budget: null, blocked: true }, NOW);
    expect(repository.update).toHaveBeenCalledWith(
      'research',
      {
        teamAlias: undefined,
        models: undefined,
        maxBudgetNanos: null,
        budgetDuration: undefined,
        tpmLimit: undefined,
        rpmLimit: undefined,
        metadata: undefined,
        blocked: true,
      },
      NOW,
    );
  });

  it('a budget or window set by /team/update has the team checked for alerts at once; other fields do not', async () => {
    const { budgetAlerts, service } = setup();
    await service.update('research', { blocked: true }, NOW);
    expect(budgetAlerts.budgetChanged).not.toHaveBeenCalled();
    await service.update('research', { max_budget: 2 }, NOW);
    await service.update('research', { budget_duration: '7d' }, NOW);
    expect(budgetAlerts.budgetChanged.mock.calls).toEqual([[{ level: 'team', id: 'research' }], [{ level: 'team', id: 'research' }]]);
  });

  it('an update of a team that does not exist is a team_not_found', async () => {
    const { repository, service } = setup();
    repository.update.mockResolvedValue(false);
    const error = await adminError(service.update('ghost', { blocked: true }, NOW));
    expect([error.code, error.param]).toEqual([AdminErrorCode.TEAM_NOT_FOUND, 'team_id']);
  });

  it.each([
    ['has_keys', AdminErrorCode.TEAM_HAS_KEYS, 'Team research still has keys; delete them first'],
    ['not_found', AdminErrorCode.TEAM_NOT_FOUND, 'Team research does not exist'],
  ])('a deletion refused because the team %s names the team and the team_ids field', async (reason, code, message) => {
    const { repository, epoch, service } = setup();
    repository.delete.mockResolvedValue({ deleted: false, teamId: 'research', reason });
    const error = await adminError(service.delete(['other', 'research']));
    expect([error.code, error.param, error.message]).toEqual([code, 'team_ids', message]);
    expect(epoch.refresh).not.toHaveBeenCalled();
  });

  it('get of a missing team is a team_not_found', async () => {
    const { repository, service } = setup();
    repository.find.mockResolvedValue(null);
    expect((await adminError(service.get('ghost'))).code).toBe(AdminErrorCode.TEAM_NOT_FOUND);
  });
});
