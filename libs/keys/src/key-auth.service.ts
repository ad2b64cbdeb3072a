import { Injectable } from '@nestjs/common';
import { AccessEpoch, isoTimeOrNull } from '@tollgate/database';
import { type Team, TeamsRepository } from '@tollgate/teams';

import type { ApiKey } from './api-key';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthError, AuthErrorCode, KeyStoreUnavailableError } from './auth.errors';
import { type Caller, MASTER_KEY_LEDGER_LABEL } from './caller';
import { hashKey } from './key-secrets';
import { MasterKeyService } from './master-key.service';

interface CachedKey {
  key: ApiKey;
  team: Team | null;
  /** Built once per load: nothing downstream changes a Caller. */
  caller: Caller;
}

/** Bounds the memory an attacker can make us spend by presenting random keys. */
const MAX_CACHED_UNKNOWN = 10_000;

/**
 * Resolves a presented secret to a Caller from memory. A key's first use loads it (and its team)
 * once; afterwards authentication costs one SHA-256 and a map lookup. The whole cache is dropped
 * whenever the access epoch moves (any key or team change, on any instance).
 */
@Injectable()
export class KeyAuthService {
  private readonly known = new Map<string, CachedKey>();
  private readonly unknown = new Set<string>();
  /** Bumped on every invalidation, so a load that straddles one cannot re-insert stale data. */
  private generation = 0;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly teams: TeamsRepository,
    private readonly masterKey: MasterKeyService,
    epoch: AccessEpoch,
  ) {
    epoch.onChange(() => {
      this.generation++;
      this.known.clear();
      this.unknown.clear();
    });
  }

  async authenticate(secret: string | undefined, now = Date.now()): Promise<Caller> {
    if (!secret) {
      throw new AuthError(
        AuthErrorCode.MISSING_KEY,
        'No API key provided. Pass a virtual key as "Authorization: Bearer sk-…" or "x-api-key".',
      );
    }
    const token = hashKey(secret);
    if (this.masterKey.matchesToken(token)) return MASTER_CALLER;
    const cached = this.known.get(token) ?? (this.unknown.has(token) ? undefined : await this.load(token));
    if (!cached) throw new AuthError(AuthErrorCode.INVALID_KEY, 'Invalid API key: no such virtual key');
    const { key, team, caller } = cached;
    if (key.blocked) throw new AuthError(AuthErrorCode.BLOCKED_KEY, `Key ${key.keyName} is blocked`);
    if (team?.blocked) throw new AuthError(AuthErrorCode.BLOCKED_TEAM, `Team ${team.teamId} is blocked`);
    if (key.expiresAt !== null && key.expiresAt <= now) {
      throw new AuthError(AuthErrorCode.EXPIRED_KEY, `Key ${key.keyName} expired at ${isoTimeOrNull(key.expiresAt)}`);
    }
    return caller;
  }

  private async load(token: string): Promise<CachedKey | undefined> {
    const generation = this.generation;
    const key = await this.keys.findByToken(token).catch((error: unknown) => {
      throw new KeyStoreUnavailableError(error);
    });
    if (!key) {
      if (generation !== this.generation) return undefined;
      if (this.unknown.size >= MAX_CACHED_UNKNOWN) this.unknown.clear();
      this.unknown.add(token);
      return undefined;
    }
    const team = key.teamId ? await this.teams.find(key.teamId) : null;
    const entry = { key, team, caller: callerFor(key, team) };
    if (generation === this.generation) this.known.set(token, entry);
    return entry;
  }
}

const MASTER_CALLER: Caller = {
  kind: 'master',
  token: MASTER_KEY_LEDGER_LABEL,
  keyName: 'master key',
  keyAlias: null,
  teamId: null,
  teamAlias: null,
  userId: null,
  keyModels: [],
  teamModels: [],
  budgetHolders: [],
  underMoneyBudget: false,
  rateSubjects: [],
  metadata: {},
};

function callerFor(key: ApiKey, team: Team | null): Caller {
  const holders: Caller['budgetHolders'] = [
    { level: 'key', id: key.keyId, label: key.keyAlias ?? key.keyName, budgetDuration: key.budgetDuration },
  ];
  if (team) holders.push({ level: 'team', id: team.teamId, label: team.teamId, budgetDuration: team.budgetDuration });
  const rateSubjects: Caller['rateSubjects'] = [];
  if (key.rpmLimit !== null || key.tpmLimit !== null)
    rateSubjects.push({ id: `key:${key.token}`, rpmLimit: key.rpmLimit, tpmLimit: key.tpmLimit });
  if (team && (team.rpmLimit !== null || team.tpmLimit !== null))
    rateSubjects.push({ id: `team:${team.teamId}`, rpmLimit: team.rpmLimit, tpmLimit: team.tpmLimit });
  return {
    kind: 'virtual_key',
    token: key.token,
    keyName: key.keyName,
    keyAlias: key.keyAlias,
    teamId: key.teamId,
    teamAlias: team?.teamAlias ?? null,
    userId: key.userId,
    keyModels: key.models,
    teamModels: team?.models ?? [],
    budgetHolders: holders,
    underMoneyBudget: key.maxBudgetNanos !== null || (team !== null && team.maxBudgetNanos !== null),
    rateSubjects,
    metadata: key.metadata,
  };
}
