import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { BudgetAlerts } from '@tollgate/alerts';
import { usdToNanos } from '@tollgate/budgets';
import { AccessEpoch } from '@tollgate/database';

import { AdminError, AdminErrorCode } from './admin.errors';
import { changesBudget } from './limits.dto';
import type { Team } from './team';
import type { NewTeamDto, TeamFieldsDto } from './team.dto';
import { TeamsRepository } from './teams.repository';

/** Teams: budgets, model lists and limits that bind every key in them. */
@Injectable()
export class TeamsService {
  constructor(
    private readonly teams: TeamsRepository,
    private readonly epoch: AccessEpoch,
    private readonly budgetAlerts: BudgetAlerts,
  ) {}

  async create(dto: NewTeamDto, now = Date.now()): Promise<Team> {
    const teamId = dto.team_id ?? randomUUID();
    const created = await this.teams.insert(
      teamId,
      {
        teamAlias: dto.team_alias ?? null,
        models: dto.models ?? [],
        maxBudgetNanos: dto.max_budget == null ? null : usdToNanos(dto.max_budget),
        budgetDuration: dto.budget_duration ?? null,
        tpmLimit: dto.tpm_limit ?? null,
        rpmLimit: dto.rpm_limit ?? null,
        metadata: dto.metadata ?? {},
        blocked: dto.blocked ?? false,
      },
      now,
    );
    if (!created) throw new AdminError(AdminErrorCode.TEAM_EXISTS, `Team ${teamId} already exists`, 'team_id');
    await this.epoch.refresh();
    return this.get(teamId);
  }

  /** Applies only the fields present; takes effect on every instance within a second. */
  async update(teamId: string, dto: TeamFieldsDto, now = Date.now()): Promise<Team> {
    const updated = await this.teams.update(
      teamId,
      {
        teamAlias: dto.team_alias,
        models: dto.models,
        maxBudgetNanos: dto.max_budget === undefined ? undefined : dto.max_budget === null ? null : usdToNanos(dto.max_budget),
        budgetDuration: dto.budget_duration,
        tpmLimit: dto.tpm_limit,
        rpmLimit: dto.rpm_limit,
        metadata: dto.metadata,
        blocked: dto.blocked,
      },
      now,
    );
    if (!updated) throw notFound(teamId);
    await this.epoch.refresh();
    // A new team has spent nothing, so only a change can put spend past a threshold without a call.
    if (changesBudget(dto)) this.budgetAlerts.budgetChanged({ level: 'team', id: teamId });
    return this.get(teamId);
  }

  async delete(teamIds: string[]): Promise<string[]> {
    const outcome = await this.teams.delete(teamIds);
    if (!outcome.deleted) {
      if (outcome.reason === 'has_keys')
        throw new AdminError(AdminErrorCode.TEAM_HAS_KEYS, `Team ${outcome.teamId} still has keys; delete them first`, 'team_ids');
      throw notFound(outcome.teamId, 'team_ids');
    }
    await this.epoch.refresh();
    return teamIds;
  }

  async get(teamId: string): Promise<Team> {
    const team = await this.teams.find(teamId);
    if (!team) throw notFound(teamId);
    return team;
  }

  async find(teamId: string): Promise<Team | null> {
    return this.teams.find(teamId);
  }

  async list(): Promise<Team[]> {
    return this.teams.list();
  }
}

function notFound(teamId: string, param = 'team_id'): AdminError {
  return new AdminError(AdminErrorCode.TEAM_NOT_FOUND, `Team ${teamId} does not exist`, param);
}
