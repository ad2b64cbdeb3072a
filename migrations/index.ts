import { GovernancePostgres1764230400000 } from './postgres/1764230400000-governance';
import { BudgetFunctionsPostgres1764316800000 } from './postgres/1764316800000-budget-functions';
import { SubscriptionTelemetryPostgres1764800000000 } from './postgres/1764800000000-subscription-telemetry';
import { Governance1764230400000 } from './sqlite/1764230400000-governance';
import { SubscriptionTelemetry1764800000000 } from './sqlite/1764800000000-subscription-telemetry';

/**
 * Migrations per driver, listed explicitly (no file globbing) so the compiled build and the
 * tests load exactly the same set, in order.
 */
export const sqliteMigrations: Function[] = [Governance1764230400000, SubscriptionTelemetry1764800000000];
export const postgresMigrations: Function[] = [GovernancePostgres1764230400000, BudgetFunctionsPostgres1764316800000, SubscriptionTelemetryPostgres1764800000000];
