import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { carrySpendIntoNewWindow, usdToNanos } from '@tollgate/budgets';
import { AccessEpoch, Sql, toInt } from '@tollgate/database';
import { AdminError, AdminErrorCode } from './admin.errors';
import { teamFromRow, type Team } from './team';
import type { NewTeamDto, TeamFieldsDto } from './team.dto';

/** Teams: budgets, model lists and limits that bind every key in them. */
@Injectable()
export class TeamsService {
  constructor(
    private readonly sql: Sql,
    private readonly epoch: AccessEpoch,
  ) {}

  async create(dto: NewTeamDto, now = Date.now()): Promise<Team> {
    const teamId = dto.team_id ?? randomUUID();
    await this.sql.transaction(async (tx) => {
      const exists = await tx.query(`SELECT 1 FROM teams WHERE team_id = ?`, [teamId]);
      if (exists.rows.length > 0) throw new AdminError(AdminErrorCode.TEAM_EXISTS, `Team ${teamId} already exists`, 'team_id');
      await tx.query(
        `INSERT INTO teams (team_id, team_alias, models, max_budget_nanos, budget_duration, tpm_limit, rpm_limit, metadata, blocked,
                            spend_nanos, reserved_nanos, window_start, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)`,
        [
          teamId,
          dto.team_alias ?? null,
          JSON.stringify(dto.models ?? []),
          dto.max_budget == null ? null : usdToNanos(dto.max_budget),
          dto.budget_duration ?? null,
          dto.tpm_limit ?? null,
          dto.rpm_limit ?? null,
          JSON.stringify(dto.metadata ?? {}),
          dto.blocked ? 1 : 0,
          now,
          now,
        ],
      );
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return this.get(teamId);
  }

  /** Applies only the fields present; takes effect on every instance within a second. */
  async update(teamId: string, dto: TeamFieldsDto, now = Date.now()): Promise<Team> {
    const assignments: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      assignments.push(`${column} = ?`);
      values.push(value);
    };
    if (dto.team_alias !== undefined) set('team_alias', dto.team_alias);
    if (dto.models !== undefined) set('models', JSON.stringify(dto.models));
    if (dto.max_budget !== undefined) set('max_budget_nanos', dto.max_budget === null ? null : usdToNanos(dto.max_budget));
    if (dto.budget_duration !== undefined) set('budget_duration', dto.budget_duration);
    if (dto.tpm_limit !== undefined) set('tpm_limit', dto.tpm_limit);
    if (dto.rpm_limit !== undefined) set('rpm_limit', dto.rpm_limit);
    if (dto.metadata !== undefined) set('metadata', JSON.stringify(dto.metadata));
    if (dto.blocked !== undefined) set('blocked', dto.blocked ? 1 : 0);
    set('updated_at', now);
    await this.sql.transaction(async (tx) => {
      if (dto.budget_duration !== undefined) await carrySpendIntoNewWindow(tx, { table: 'teams', column: 'team_id' }, teamId, dto.budget_duration, now);
      const updated = await tx.query(`UPDATE teams SET ${assignments.join(', ')} WHERE team_id = ?`, [...values, teamId]);
      if (updated.changes === 0) throw notFound(teamId);
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return this.get(teamId);
  }

  async delete(teamIds: string[]): Promise<string[]> {
    await this.sql.transaction(async (tx) => {
      for (const teamId of teamIds) {
        const keys = await tx.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM api_keys WHERE team_id = ?`, [teamId]);
        if (toInt(keys.rows[0]?.n) > 0) {
          throw new AdminError(AdminErrorCode.TEAM_HAS_KEYS, `Team ${teamId} still has keys; delete them first`, 'team_ids');
        }
        const deleted = await tx.query(`DELETE FROM teams WHERE team_id = ?`, [teamId]);
        if (deleted.changes === 0) throw notFound(teamId, 'team_ids');
      }
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return teamIds;
  }

  async get(teamId: string): Promise<Team> {
    const team = await this.find(teamId);
    if (!team) throw notFound(teamId);
    return team;
  }

  async find(teamId: string): Promise<Team | null> {
    const result = await this.sql.query(`SELECT * FROM teams WHERE team_id = ?`, [teamId]);
    return result.rows.length > 0 ? teamFromRow(result.rows[0]) : null;
  }

  async list(): Promise<Team[]> {
    const result = await this.sql.query(`SELECT * FROM teams ORDER BY created_at, team_id`);
    return result.rows.map(teamFromRow);
  }
}

function notFound(teamId: string, param = 'team_id'): AdminError {
  return new AdminError(AdminErrorCode.TEAM_NOT_FOUND, `Team ${teamId} does not exist`, param);
}
