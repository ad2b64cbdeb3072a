import { Injectable } from '@nestjs/common';
import { carrySpendIntoNewWindow } from '@tollgate/budgets';
import { AccessEpoch, assignments, inChunks, Sql, toInt } from '@tollgate/database';

import { type Team, teamFromRow } from './team';

/** What an admin sets on a team; the rest (spend, window, times) the gateway keeps. */
export type TeamSettings = Pick<
  Team,
  'teamAlias' | 'models' | 'maxBudgetNanos' | 'budgetDuration' | 'tpmLimit' | 'rpmLimit' | 'metadata' | 'blocked'
>;

export type TeamDeletion = { deleted: true } | { deleted: false; teamId: string; reason: 'has_keys' | 'not_found' };

/**
 * The `teams` table. Every change bumps the access epoch in its own transaction, so each gateway
 * instance drops its cached view of keys and teams within a second.
 */
@Injectable()
export class TeamsRepository {
  constructor(
    private readonly sql: Sql,
    private readonly epoch: AccessEpoch,
  ) {}

  /** False when the id is taken. */
  async insert(teamId: string, settings: TeamSettings, now: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const exists = await tx.query(`SELECT 1 FROM teams WHERE team_id = ?`, [teamId]);
      if (exists.rows.length > 0) return false;
      await tx.query(
        `INSERT INTO teams (team_id, team_alias, models, max_budget_nanos, budget_duration, tpm_limit, rpm_limit, metadata, blocked,
                            spend_nanos, reserved_nanos, window_start, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)`,
        [
          teamId,
          settings.teamAlias,
          JSON.stringify(settings.models),
          settings.maxBudgetNanos,
          settings.budgetDuration,
          settings.tpmLimit,
          settings.rpmLimit,
          JSON.stringify(settings.metadata),
          settings.blocked ? 1 : 0,
          now,
          now,
        ],
      );
      await this.epoch.bump(tx);
      return true;
    });
  }

  /** Writes the settings given (undefined: unchanged); false when the team does not exist. */
  async update(teamId: string, changes: Partial<TeamSettings>, now: number): Promise<boolean> {
    const set = assignments({
      team_alias: changes.teamAlias,
      models: changes.models === undefined ? undefined : JSON.stringify(changes.models),
      max_budget_nanos: changes.maxBudgetNanos,
      budget_duration: changes.budgetDuration,
      tpm_limit: changes.tpmLimit,
      rpm_limit: changes.rpmLimit,
      metadata: changes.metadata === undefined ? undefined : JSON.stringify(changes.metadata),
      blocked: changes.blocked,
      updated_at: now,
    });
    return this.sql.transaction(async (tx) => {
      if (changes.budgetDuration !== undefined)
        await carrySpendIntoNewWindow(tx, { table: 'teams', column: 'team_id' }, teamId, changes.budgetDuration, now);
      const updated = await tx.query(`UPDATE teams SET ${set.sql} WHERE team_id = ?`, [...set.params, teamId]);
      if (updated.changes === 0) return false;
      await this.epoch.bump(tx);
      return true;
    });
  }

  /** All or none: a team that still has keys, or does not exist, stops the whole deletion. */
  async delete(teamIds: string[]): Promise<TeamDeletion> {
    return this.sql.transaction(async (tx) => {
      const seen = new Set<string>();
      for (const teamId of teamIds) {
        // A team named twice is gone by its second mention.
        if (seen.has(teamId)) return { deleted: false, teamId, reason: 'not_found' };
        seen.add(teamId);
        const found = await tx.query<{ keys: unknown }>(
          `SELECT (SELECT COUNT(*) FROM api_keys WHERE team_id = ?) AS keys FROM teams WHERE team_id = ?`,
          [teamId, teamId],
        );
        if (found.rows.length === 0) return { deleted: false, teamId, reason: 'not_found' };
        if (toInt(found.rows[0].keys) > 0) return { deleted: false, teamId, reason: 'has_keys' };
      }
      for (const teamId of teamIds) await tx.query(`DELETE FROM teams WHERE team_id = ?`, [teamId]);
      await this.epoch.bump(tx);
      return { deleted: true };
    });
  }

  async find(teamId: string): Promise<Team | null> {
    const result = await this.sql.query(`SELECT * FROM teams WHERE team_id = ?`, [teamId]);
    return result.rows.length > 0 ? teamFromRow(result.rows[0]) : null;
  }

  /** The team with this id, else a team with this alias. */
  async findByIdOrAlias(name: string): Promise<Team | null> {
    const result = await this.sql.query(
      `SELECT * FROM teams WHERE team_id = ? OR team_alias = ? ORDER BY CASE WHEN team_id = ? THEN 0 ELSE 1 END LIMIT 1`,
      [name, name, name],
    );
    return result.rows.length > 0 ? teamFromRow(result.rows[0]) : null;
  }

  /** Oldest first. */
  async list(): Promise<Team[]> {
    const result = await this.sql.query(`SELECT * FROM teams ORDER BY created_at, team_id`);
    return result.rows.map(teamFromRow);
  }

  /** The alias of each team id that names a team with one. */
  async aliasesOf(teamIds: Iterable<string>): Promise<Map<string, string>> {
    const rows = await inChunks(teamIds, (chunk, list) =>
      this.sql.query<{ team_id: string; team_alias: string | null }>(
        `SELECT team_id, team_alias FROM teams WHERE team_id IN ${list}`,
        chunk,
      ),
    );
    return new Map(rows.filter((row) => row.team_alias).map((row) => [row.team_id, row.team_alias!]));
  }
}
