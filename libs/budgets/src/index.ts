export * from './budget-accounts';
export * from './budget-duration-change';
export * from './budget-store';
export * from './budget-view';
export * from './budget-window';
export * from './budget.errors';
export * from './budget.guard';
export * from './budgets.module';
