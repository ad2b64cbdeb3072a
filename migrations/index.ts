import { GovernancePostgres1764230400000 } from './postgres/1764230400000-governance';
import { BudgetFunctionsPostgres1764316800000 } from './postgres/1764316800000-budget-functions';
import { EstimatedChargesPostgres1764500000000 } from './postgres/1764500000000-estimated-charges';
import { Governance1764230400000 } from './sqlite/1764230400000-governance';
import { EstimatedCharges1764500000000 } from './sqlite/1764500000000-estimated-charges';

/**
 * Migrations per driver, listed explicitly (no file globbing) so the compiled build and the
 * tests load exactly the same set, in order.
 */
export const sqliteMigrations: Function[] = [Governance1764230400000, EstimatedCharges1764500000000];
export const postgresMigrations: Function[] = [GovernancePostgres1764230400000, BudgetFunctionsPostgres1764316800000, EstimatedChargesPostgres1764500000000];
