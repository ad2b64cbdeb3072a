export * from './budget-accounts';
export * from './budget-duration-change';
export * from './budget-window';
export * from './budget.errors';
export * from './budgets.module';
export * from './money';
