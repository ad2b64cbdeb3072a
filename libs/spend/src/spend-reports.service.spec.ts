import type { ApiKeysRepository } from '@tollgate/keys';
import type { TeamsRepository } from '@tollgate/teams';

import type { MetricPointsRepository } from './metric-points.repository';
import type { SpendLogRepository, SubjectModelDay, TeamDay } from './spend-log.repository';
import { SpendReportsService, UNASSIGNED_TEAM } from './spend-reports.service';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00Z');
const TODAY = Math.floor(NOW / DAY);

const teamDay = (teamId: string | null, day: number, spendNanos: number): TeamDay => ({
  teamId,
  day,
  spendNanos,
  requests: 1,
  tokens: 10,
  errors: 0,
  refused: 0,
});

function setup() {
  const spendLogs = {
    newestFirst: jest.fn().mockResolvedValue([]),
    teamDays: jest.fn().mockResolvedValue([]),
    spendPerKey: jest.fn().mockResolvedValue([]),
    subjectModelDays: jest.fn().mockResolvedValue([]),
    sessionTotals: jest.fn().mockResolvedValue([]),
  };
  const metricPoints = { ofSessions: jest.fn().mockResolvedValue(new Map()) };
  const apiKeys = { namesOf: jest.fn().mockResolvedValue(new Map()), findByToken: jest.fn(), all: jest.fn(), countByTeam: jest.fn() };
  const teams = { aliasesOf: jest.fn().mockResolvedValue(new Map()), list: jest.fn() };
  const service = new SpendReportsService(
    spendLogs as unknown as SpendLogRepository,
    metricPoints as unknown as MetricPointsRepository,
    apiKeys as unknown as ApiKeysRepository,
    teams as unknown as TeamsRepository,
  );
  return { spendLogs, metricPoints, apiKeys, teams, service };
}

describe('SpendReportsService', () => {
  it('asks the ledger for the right page: page 3 of 25 skips 50 rows', async () => {
    const { spendLogs, service } = setup();
    await service.logs({ teamId: 't', range: { fromMs: 1, toMs: null } }, { page: 3, pageSize: 25 });
    expect(spendLogs.newestFirst).toHaveBeenCalledWith(expect.objectContaining({ teamId: 't', range: { fromMs: 1, toMs: null } }), 25, 50);
  });

  it('global team spend: 30 days back from midnight UTC, teamless rows as Unassigned, ranked, exact USD per day', async () => {
    const { spendLogs, service } = setup();
    spendLogs.teamDays.mockResolvedValue([
      teamDay('a', TODAY - 1, 300_000_000),
      teamDay(null, TODAY - 1, 700_000_000),
      teamDay('a', TODAY, 100_000_000),
    ]);
    const report = await service.globalTeams(NOW);
    expect(spendLogs.teamDays).toHaveBeenCalledWith((TODAY - 30) * DAY);
    expect(report).toEqual({
      teams: [UNASSIGNED_TEAM, 'a'],
      total_spend_per_team: [
        { team_id: UNASSIGNED_TEAM, total_spend: 0.7 },
        { team_id: 'a', total_spend: 0.4 },
      ],
      daily_spend: [
        { date: '2026-12-02', a: 0.3, [UNASSIGNED_TEAM]: 0.7 },
        { date: '2026-12-03', a: 0.1 },
      ],
    });
  });

  it('global key spend keeps a deleted key (no names) and converts nano-dollars exactly', async () => {
    const { spendLogs, service } = setup();
    spendLogs.spendPerKey.mockResolvedValue([{ apiKey: 'tok', keyAlias: null, keyName: null, spendNanos: 1 }]);
    expect(await service.globalKeys(10)).toEqual([{ api_key: 'tok', key_alias: null, key_name: null, total_spend: 1e-9 }]);
  });

  it.each([
    ['team', { team_name: 'Research', team_id: 'research' }, { team_name: UNASSIGNED_TEAM, team_id: null }],
    ['api_key', { api_key: 'research', key_alias: 'laptop' }, { api_key: null, key_alias: null }],
    ['customer', { customer: 'research' }, { customer: null }],
  ] as const)('a report grouped by %s names each group, biggest spender first, models inside by spend', async (groupBy, named, unnamed) => {
    const { spendLogs, apiKeys, teams, service } = setup();
    const rows: SubjectModelDay[] = [
      { day: TODAY, subject: 'research', model: 'gpt-4o', spendNanos: 2_000, tokens: 20 },
      { day: TODAY, subject: 'research', model: 'gpt-4o-mini', spendNanos: 3_000, tokens: 30 },
      { day: TODAY, subject: null, model: 'gpt-4o', spendNanos: 1_000, tokens: 10 },
    ];
    spendLogs.subjectModelDays.mockResolvedValue(rows);
    teams.aliasesOf.mockResolvedValue(new Map([['research', 'Research']]));
    apiKeys.namesOf.mockResolvedValue(new Map([['research', { keyAlias: 'laptop', keyName: 'sk-...abcd' }]]));
    const report = await service.report({ fromMs: TODAY * DAY, toMs: (TODAY + 1) * DAY }, groupBy, {});
    const list = { team: 'teams', api_key: 'api_keys', customer: 'customers' }[groupBy];
    expect(report).toEqual([
      {
        group_by_day: '2026-12-03',
        [list]: [
          {
            ...named,
            total_spend: 5e-6,
            metadata: [
              { model: 'gpt-4o-mini', spend: 3e-6, total_tokens: 30 },
              { model: 'gpt-4o', spend: 2e-6, total_tokens: 20 },
            ],
          },
          { ...unnamed, total_spend: 1e-6, metadata: [{ model: 'gpt-4o', spend: 1e-6, total_tokens: 10 }] },
        ],
      },
    ]);
  });

  it("a session's active time is the span of its calls unless its tool reported one", async () => {
    const { spendLogs, metricPoints, service } = setup();
    const session = (id: string, tool: string | null) => ({
      session_id: id,
      client_tool: tool,
      requests: 2,
      spend: 1_500_000_000,
      reported_costs: 0,
      first_call: NOW,
      last_call: NOW + 60_000,
      last_end: NOW + 90_000,
    });
    spendLogs.sessionTotals.mockResolvedValue([session('gateway-session', null), session('cli-session', 'claude-code')]);
    metricPoints.ofSessions.mockResolvedValue(
      new Map([['cli-session', [{ series: 's', startTimeUnixNano: '0', timeUnixNano: '1', value: 42.5, cumulative: true }]]]),
    );
    const sessions = await service.sessions({ range: { fromMs: null, toMs: null } }, { page: 1, pageSize: 10 });
    expect(metricPoints.ofSessions).toHaveBeenCalledWith('active_seconds', ['cli-session']);
    expect(sessions.map((s) => [s.session_id, s.active_time_seconds, s.spend, s.reported_cost])).toEqual([
      ['gateway-session', 90, 1.5, null],
      ['cli-session', 42.5, 1.5, null],
    ]);
  });
});
