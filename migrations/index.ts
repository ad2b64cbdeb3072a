import { GovernancePostgres1764230400000 } from './postgres/1764230400000-governance';
import { BudgetFunctionsPostgres1764316800000 } from './postgres/1764316800000-budget-functions';
import { StoredResponsesPostgres1764700000000 } from './postgres/1764700000000-stored-responses';
import { Governance1764230400000 } from './sqlite/1764230400000-governance';
import { StoredResponses1764700000000 } from './sqlite/1764700000000-stored-responses';

/**
 * Migrations per driver, listed explicitly (no file globbing) so the compiled build and the
 * tests load exactly the same set, in order.
 */
export const sqliteMigrations: Function[] = [Governance1764230400000, StoredResponses1764700000000];
export const postgresMigrations: Function[] = [GovernancePostgres1764230400000, BudgetFunctionsPostgres1764316800000, StoredResponsesPostgres1764700000000];
