import { randomUUID } from 'node:crypto';

import { Global, Module } from '@nestjs/common';
import { AccessEpoch, Sql } from '@tollgate/database';

import { BudgetAccounts } from './budget-accounts';
import { BudgetStore } from './budget-store';
import { BudgetView } from './budget-view';
import { PostgresBudgetStore } from './postgres-budget-store';
import { SqliteBudgetStore } from './sqlite-budget-store';

/** Identifies this gateway process in reservations, so a crashed process's reservations can be found. */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

/** The budget store for the database the gateway runs on: the one place budgets ask which driver that is. */
export function budgetStoreFor(sql: Sql): BudgetStore {
  return sql.dialect === 'postgres' ? new PostgresBudgetStore(sql) : new SqliteBudgetStore(sql);
}

/**
 * Budget accounts on the running database's store. BudgetGuard (exported by this library) is
 * declared on the model routes, where the gateway also provides its BudgetRefusals.
 */
@Global()
@Module({
  providers: [
    { provide: BudgetStore, useFactory: budgetStoreFor, inject: [Sql] },
    {
      provide: BudgetView,
      // Any key or team change (a raised budget, a reset spend) makes what the view learnt unreliable.
      useFactory: (epoch: AccessEpoch) => {
        const view = new BudgetView();
        epoch.onChange(() => view.forgetAll());
        return view;
      },
      inject: [AccessEpoch],
    },
    BudgetAccounts,
    { provide: INSTANCE_ID, useFactory: () => randomUUID() },
  ],
  exports: [BudgetStore, BudgetView, BudgetAccounts, INSTANCE_ID],
})
export class BudgetsModule {}
