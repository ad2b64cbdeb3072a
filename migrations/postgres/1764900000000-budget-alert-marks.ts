import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The highest budget-alert threshold sent per key or team and budget window, so each threshold is
 * alerted once per window across restarts and gateway instances (BudgetAlertMarks). One row per
 * holder: a new window overwrites the old one. Threshold in basis points (8000 = 80 %).
 */
export class BudgetAlertMarksPostgres1764900000000 implements MigrationInterface {
  name = 'BudgetAlertMarksPostgres1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE budget_alert_marks (
      holder_level TEXT NOT NULL,
      holder_id TEXT NOT NULL,
      window_start BIGINT NOT NULL,
      threshold_bp INTEGER NOT NULL,
      PRIMARY KEY (holder_level, holder_id)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE budget_alert_marks`);
  }
}
