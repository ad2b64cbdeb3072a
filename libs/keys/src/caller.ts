import type { BudgetHolder } from '@tollgate/budgets';

/** Who is calling, resolved by the auth guard and attached to the request for everything downstream. */
export interface Caller {
  kind: 'master' | 'virtual_key';
  /** `api_keys.token` (SHA-256 of the key); for the master key, MASTER_KEY_LEDGER_LABEL. */
  token: string;
  keyName: string;
  keyAlias: string | null;
  teamId: string | null;
  teamAlias: string | null;
  userId: string | null;
  /** Allow-lists; an empty list allows every alias. A key in a team must satisfy both. */
  keyModels: string[];
  teamModels: string[];
  /** Key first, then team: the order reservations lock rows in. Empty for the master key. */
  budgetHolders: BudgetHolder[];
  /** The key or its team has a `max_budget`: money is at stake, so costs that cannot be bounded are refused. */
  underMoneyBudget: boolean;
  rateSubjects: { id: string; rpmLimit: number | null; tpmLimit: number | null }[];
  metadata: Record<string, unknown>;
}

/**
 * What the ledger records as `api_key` for calls made with the master key. A fixed label, not the
 * key's hash: the ledger is shown by /spend/logs, and a hash there invites offline guessing of a
 * weak master key. It is not 64 hex digits, so it can never be mistaken for a virtual key's token.
 */
export const MASTER_KEY_LEDGER_LABEL = 'master-key';

const CALLER = Symbol('caller');

export function attachCaller(request: object, caller: Caller): void {
  (request as Record<symbol, Caller>)[CALLER] = caller;
}

export function callerOf(request: object): Caller | undefined {
  return (request as Record<symbol, Caller | undefined>)[CALLER];
}

/** LiteLLM's special model-list entries that mean "everything". */
const ALLOW_ALL = new Set(['all-proxy-models', 'all-team-models', '*']);

export function mayCallModel(caller: Caller, alias: string): boolean {
  const allowed = (list: string[]) => list.length === 0 || list.some((m) => m === alias || ALLOW_ALL.has(m));
  return allowed(caller.keyModels) && allowed(caller.teamModels);
}
