import type { MigrationInterface } from 'typeorm';

import { GovernancePostgres1764230400000 } from './postgres/1764230400000-governance';
import { BudgetFunctionsPostgres1764316800000 } from './postgres/1764316800000-budget-functions';
import { StableKeyIdPostgres1764400000000 } from './postgres/1764400000000-stable-key-id';
import { EstimatedChargesPostgres1764500000000 } from './postgres/1764500000000-estimated-charges';
import { MasterKeyLedgerLabelPostgres1764600000000 } from './postgres/1764600000000-master-key-ledger-label';
import { StoredResponsesPostgres1764700000000 } from './postgres/1764700000000-stored-responses';
import { SubscriptionTelemetryPostgres1764800000000 } from './postgres/1764800000000-subscription-telemetry';
import { BudgetAlertMarksPostgres1764900000000 } from './postgres/1764900000000-budget-alert-marks';
import { SettlementBatchesPostgres1764913000000 } from './postgres/1764913000000-settlement-batches';
import { Governance1764230400000 } from './sqlite/1764230400000-governance';
import { StableKeyId1764400000000 } from './sqlite/1764400000000-stable-key-id';
import { EstimatedCharges1764500000000 } from './sqlite/1764500000000-estimated-charges';
import { MasterKeyLedgerLabel1764600000000 } from './sqlite/1764600000000-master-key-ledger-label';
import { StoredResponses1764700000000 } from './sqlite/1764700000000-stored-responses';
import { SubscriptionTelemetry1764800000000 } from './sqlite/1764800000000-subscription-telemetry';
import { BudgetAlertMarks1764900000000 } from './sqlite/1764900000000-budget-alert-marks';

/**
 * Migrations per driver, listed explicitly (no file globbing) so the compiled build and the
 * tests load exactly the same set, in order.
 */
type MigrationClass = new () => MigrationInterface;

export const sqliteMigrations: MigrationClass[] = [
  Governance1764230400000,
  StableKeyId1764400000000,
  EstimatedCharges1764500000000,
  MasterKeyLedgerLabel1764600000000,
  StoredResponses1764700000000,
  SubscriptionTelemetry1764800000000,
  BudgetAlertMarks1764900000000,
];
export const postgresMigrations: MigrationClass[] = [
  GovernancePostgres1764230400000,
  BudgetFunctionsPostgres1764316800000,
  StableKeyIdPostgres1764400000000,
  EstimatedChargesPostgres1764500000000,
  MasterKeyLedgerLabelPostgres1764600000000,
  StoredResponsesPostgres1764700000000,
  SubscriptionTelemetryPostgres1764800000000,
  BudgetAlertMarksPostgres1764900000000,
  SettlementBatchesPostgres1764913000000,
];
