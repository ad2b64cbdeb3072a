import { Injectable } from '@nestjs/common';
import { Sql } from '@tollgate/database';

/**
 * The highest threshold already alerted per budget holder and window (`budget_alert_marks`), so
 * each threshold is alerted once per window across restarts and across gateway instances.
 */
@Injectable()
export class BudgetAlertMarks {
  constructor(private readonly sql: Sql) {}

  /**
   * Claims the alert for `thresholdBp` (basis points) in the window starting at `windowStart`: true
   * for exactly one caller, on any instance. One conditional upsert: it writes only when the stored
   * mark is of an older window or a lower threshold. Callers claim a holder's thresholds in
   * ascending order, so every threshold below the stored mark has been claimed by someone.
   */
  async claim(level: string, holderId: string, windowStart: number, thresholdBp: number): Promise<boolean> {
    const result = await this.sql.query(
      `INSERT INTO budget_alert_marks (holder_level, holder_id, window_start, threshold_bp) VALUES (?, ?, ?, ?)
       ON CONFLICT (holder_level, holder_id) DO UPDATE SET window_start = excluded.window_start, threshold_bp = excluded.threshold_bp
       WHERE budget_alert_marks.window_start < excluded.window_start
          OR (budget_alert_marks.window_start = excluded.window_start AND budget_alert_marks.threshold_bp < excluded.threshold_bp)`,
      [level, holderId, windowStart, thresholdBp],
    );
    return result.changes > 0;
  }
}
