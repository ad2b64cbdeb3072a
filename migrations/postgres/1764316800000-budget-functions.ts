import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reservation and settlement as single-round-trip functions (PostgreSQL).
 *
 * Every request of a team updates the same team row. Driven statement by statement from the
 * gateway, a transaction holds that row lock across several network round trips and event-loop
 * turns, and concurrent requests queue behind it. Inside one function call the lock is held for
 * microseconds. A failed key/team check compensates its own earlier update, so the call stays
 * all or nothing without a subtransaction.
 */
export class BudgetFunctionsPostgres1764316800000 implements MigrationInterface {
  name = 'BudgetFunctionsPostgres1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION tollgate_reserve(
        p_request_id TEXT, p_instance_id TEXT, p_amount BIGINT,
        p_token TEXT, p_key_window BIGINT, p_team_id TEXT, p_team_window BIGINT,
        p_model_group TEXT, p_deployment_id TEXT, p_provider TEXT, p_now BIGINT
      ) RETURNS TEXT LANGUAGE plpgsql AS $$
      BEGIN
        IF p_amount > 0 THEN
          UPDATE api_keys
             SET spend_nanos = CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END,
                 window_start = GREATEST(window_start, p_key_window),
                 reserved_nanos = reserved_nanos + p_amount
           WHERE token = p_token
             AND (max_budget_nanos IS NULL
                  OR (CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END) + reserved_nanos + p_amount <= max_budget_nanos);
          IF NOT FOUND THEN RETURN 'key'; END IF;
          IF p_team_id IS NOT NULL THEN
            UPDATE teams
               SET spend_nanos = CASE WHEN window_start < p_team_window THEN 0 ELSE spend_nanos END,
                   window_start = GREATEST(window_start, p_team_window),
                   reserved_nanos = reserved_nanos + p_amount
             WHERE team_id = p_team_id
               AND (max_budget_nanos IS NULL
                    OR (CASE WHEN window_start < p_team_window THEN 0 ELSE spend_nanos END) + reserved_nanos + p_amount <= max_budget_nanos);
            IF NOT FOUND THEN
              UPDATE api_keys SET reserved_nanos = reserved_nanos - p_amount WHERE token = p_token;
              RETURN 'team';
            END IF;
          END IF;
        END IF;
        INSERT INTO budget_reservations (request_id, token, team_id, amount_nanos, instance_id, model_group, deployment_id, provider, created_at)
        VALUES (p_request_id, p_token, p_team_id, p_amount, p_instance_id, p_model_group, p_deployment_id, p_provider, p_now);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION tollgate_settle(
        p_request_id TEXT, p_actual BIGINT,
        p_token TEXT, p_key_window BIGINT, p_team_id TEXT, p_team_window BIGINT, p_now BIGINT
      ) RETURNS BIGINT LANGUAGE plpgsql AS $$
      DECLARE
        v_reserved BIGINT;
        v_key_spend BIGINT;
      BEGIN
        DELETE FROM budget_reservations WHERE request_id = p_request_id RETURNING amount_nanos INTO v_reserved;
        v_reserved := COALESCE(v_reserved, 0);
        UPDATE api_keys
           SET spend_nanos = (CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END) + p_actual,
               window_start = GREATEST(window_start, p_key_window),
               reserved_nanos = reserved_nanos - v_reserved,
               last_used_at = p_now
         WHERE token = p_token
         RETURNING spend_nanos INTO v_key_spend;
        IF p_team_id IS NOT NULL THEN
          UPDATE teams
             SET spend_nanos = (CASE WHEN window_start < p_team_window THEN 0 ELSE spend_nanos END) + p_actual,
                 window_start = GREATEST(window_start, p_team_window),
                 reserved_nanos = reserved_nanos - v_reserved
           WHERE team_id = p_team_id;
        END IF;
        RETURN v_key_spend;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tollgate_settle(TEXT, BIGINT, TEXT, BIGINT, TEXT, BIGINT, BIGINT)`);
    await q.query(`DROP FUNCTION tollgate_reserve(TEXT, TEXT, BIGINT, TEXT, BIGINT, TEXT, BIGINT, TEXT, TEXT, TEXT, BIGINT)`);
  }
}
