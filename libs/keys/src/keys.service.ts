import { Injectable } from '@nestjs/common';
import { BudgetAlerts } from '@tollgate/alerts';
import { parseBudgetDuration, UNIT_MS, usdToNanos } from '@tollgate/budgets';
import { AccessEpoch } from '@tollgate/database';
import { AdminError, AdminErrorCode, changesBudget, TeamsService } from '@tollgate/teams';

import type { ApiKey } from './api-key';
import { ApiKeysRepository, type KeyWrite } from './api-keys.repository';
import type { DeleteKeysDto, KeyFieldsDto } from './key.dto';
import { generateVirtualKey, hashKey, maskKey, tokenOf } from './key-secrets';

export interface CreatedKey {
  key: string;
  record: ApiKey;
}

export interface KeyPage {
  keys: ApiKey[];
  total: number;
}

/** Virtual keys. Only hashes are stored; the raw key exists once, in the creation answer. */
@Injectable()
export class KeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly epoch: AccessEpoch,
    private readonly teams: TeamsService,
    private readonly budgetAlerts: BudgetAlerts,
  ) {}

  async generate(dto: KeyFieldsDto, now = Date.now()): Promise<CreatedKey> {
    if (dto.team_id) await this.teams.get(dto.team_id);
    const rawKey = generateVirtualKey();
    const token = hashKey(rawKey);
    const written = await this.keys.insert(
      token,
      maskKey(rawKey),
      {
        keyAlias: dto.key_alias ?? null,
        teamId: dto.team_id ?? null,
        userId: dto.user_id ?? null,
        models: dto.models ?? [],
        maxBudgetNanos: dto.max_budget == null ? null : usdToNanos(dto.max_budget),
        budgetDuration: dto.budget_duration ?? null,
        tpmLimit: dto.tpm_limit ?? null,
        rpmLimit: dto.rpm_limit ?? null,
        expiresAt: dto.duration ? expiryAfter(dto.duration, now) : null,
        metadata: dto.metadata ?? {},
        blocked: dto.blocked ?? false,
      },
      now,
    );
    assertWritten(written, dto.key_alias);
    await this.epoch.refresh();
    return { key: rawKey, record: await this.get(token) };
  }

  async update(keyOrToken: string, dto: KeyFieldsDto, now = Date.now()): Promise<ApiKey> {
    const token = tokenOf(keyOrToken);
    if (dto.team_id) await this.teams.get(dto.team_id);
    const written = await this.keys.update(
      token,
      {
        keyAlias: dto.key_alias,
        teamId: dto.team_id,
        userId: dto.user_id,
        models: dto.models,
        maxBudgetNanos: dto.max_budget === undefined ? undefined : dto.max_budget === null ? null : usdToNanos(dto.max_budget),
        budgetDuration: dto.budget_duration,
        tpmLimit: dto.tpm_limit,
        rpmLimit: dto.rpm_limit,
        expiresAt: dto.duration === undefined ? undefined : dto.duration === null ? null : expiryAfter(dto.duration, now),
        metadata: dto.metadata,
        blocked: dto.blocked,
      },
      now,
    );
    assertWritten(written, dto.key_alias);
    await this.epoch.refresh();
    const updated = await this.get(token);
    // A new key has spent nothing, so only a change can put spend past a threshold without a call.
    if (changesBudget(dto)) this.budgetAlerts.budgetChanged({ level: 'key', id: updated.keyId });
    return updated;
  }

  /** A new secret for the same key record: spend, budget and settings are kept; the old secret stops working. */
  async regenerate(keyOrToken: string, now = Date.now()): Promise<CreatedKey> {
    const rawKey = generateVirtualKey();
    const token = hashKey(rawKey);
    if (!(await this.keys.replaceToken(tokenOf(keyOrToken), token, maskKey(rawKey), now))) throw keyNotFound('key');
    await this.epoch.refresh();
    return { key: rawKey, record: await this.get(token) };
  }

  async delete(dto: DeleteKeysDto): Promise<string[]> {
    const keys = dto.keys ?? [];
    const aliases = dto.key_aliases ?? [];
    const outcome = await this.keys.delete(keys.map(tokenOf), aliases);
    if (!outcome.deleted) {
      if ('alias' in outcome.missing)
        throw new AdminError(AdminErrorCode.KEY_NOT_FOUND, `No key has the alias ${outcome.missing.alias}`, 'key_aliases');
      throw keyNotFound('keys');
    }
    await this.epoch.refresh();
    return [...keys, ...aliases];
  }

  async get(keyOrToken: string): Promise<ApiKey> {
    const key = await this.keys.findByToken(tokenOf(keyOrToken));
    if (!key) throw keyNotFound('key');
    return key;
  }

  async find(token: string): Promise<ApiKey | null> {
    return this.keys.findByToken(token);
  }

  async list(filter: { teamId?: string; userId?: string; keyAlias?: string }, page: number, size: number): Promise<KeyPage> {
    return this.keys.page(filter, page, size);
  }

  /** How many keys each team holds; teams without keys are absent. */
  async countByTeam(): Promise<Map<string, number>> {
    return this.keys.countByTeam();
  }
}

function assertWritten(written: KeyWrite, alias: string | null | undefined): void {
  if (written === 'not_found') throw keyNotFound('key');
  if (written === 'alias_taken')
    throw new AdminError(AdminErrorCode.KEY_ALIAS_EXISTS, `A key with the alias ${alias} already exists`, 'key_alias');
}

/** `duration` (key lifetime) uses budget_duration's syntax; months count as calendar months. */
function expiryAfter(duration: string, now: number): number {
  const { amount, unit } = parseBudgetDuration(duration)!;
  if (unit === 'mo') {
    const date = new Date(now);
    date.setUTCMonth(date.getUTCMonth() + amount);
    return date.getTime();
  }
  return now + amount * UNIT_MS[unit];
}

function keyNotFound(param: string): AdminError {
  return new AdminError(AdminErrorCode.KEY_NOT_FOUND, 'Key not found', param);
}
