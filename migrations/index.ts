import { GovernancePostgres1764230400000 } from './postgres/1764230400000-governance';
import { BudgetFunctionsPostgres1764316800000 } from './postgres/1764316800000-budget-functions';
import { MasterKeyLedgerLabelPostgres1764600000000 } from './postgres/1764600000000-master-key-ledger-label';
import { Governance1764230400000 } from './sqlite/1764230400000-governance';
import { MasterKeyLedgerLabel1764600000000 } from './sqlite/1764600000000-master-key-ledger-label';

/**
 * Migrations per driver, listed explicitly (no file globbing) so the compiled build and the
 * tests load exactly the same set, in order.
 */
export const sqliteMigrations: Function[] = [Governance1764230400000, MasterKeyLedgerLabel1764600000000];
export const postgresMigrations: Function[] = [GovernancePostgres1764230400000, BudgetFunctionsPostgres1764316800000, MasterKeyLedgerLabelPostgres1764600000000];
