import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { BudgetAccounts } from './budget-accounts';

/** Identifies this gateway process in reservations, so a crashed process's reservations can be found. */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

@Global()
@Module({
  providers: [BudgetAccounts, { provide: INSTANCE_ID, useFactory: () => randomUUID() }],
  exports: [BudgetAccounts, INSTANCE_ID],
})
export class BudgetsModule {}
