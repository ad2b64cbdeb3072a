import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's stable id (PostgreSQL). `token` is the hash of the secret and changes on
 * /key/regenerate, so budgets and reservations follow `key_id` instead: an in-flight call settles
 * against the account it reserved on whatever happens to the secret meanwhile. The reserve and
 * settle functions are replaced to address keys by `key_id`; the reservation also keeps the token
 * of the moment, for the ledger row crash recovery writes.
 */
export class StableKeyIdPostgres1764400000000 implements MigrationInterface {
  name = 'StableKeyIdPostgres1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN key_id TEXT`);
    await q.query(`UPDATE api_keys SET key_id = token`);
    await q.query(`CREATE UNIQUE INDEX api_keys_key_id ON api_keys (key_id)`);
    await q.query(`ALTER TABLE budget_reservations ADD COLUMN key_id TEXT`);
    await q.query(`UPDATE budget_reservations SET key_id = token`);
    await q.query(`DROP FUNCTION tollgate_settle(TEXT, BIGINT, TEXT, BIGINT, TEXT, BIGINT, BIGINT)`);
    await q.query(`DROP FUNCTION tollgate_reserve(TEXT, TEXT, BIGINT, TEXT, BIGINT, TEXT, BIGINT, TEXT, TEXT, TEXT, BIGINT)`);
    await q.query(`
      CREATE FUNCTION tollgate_reserve(
        p_request_id TEXT, p_instance_id TEXT, p_amount BIGINT,
        p_key_id TEXT, p_key_window BIGINT, p_team_id TEXT, p_team_window BIGINT,
        p_model_group TEXT, p_deployment_id TEXT, p_provider TEXT, p_now BIGINT, p_token TEXT
      ) RETURNS TEXT LANGUAGE plpgsql AS $$
      BEGIN
        IF p_amount > 0 THEN
          UPDATE api_keys
             SET spend_nanos = CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END,
                 window_start = GREATEST(window_start, p_key_window),
                 reserved_nanos = reserved_nanos + p_amount
           WHERE key_id = p_key_id
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
              UPDATE api_keys SET reserved_nanos = reserved_nanos - p_amount WHERE key_id = p_key_id;
              RETURN 'team';
            END IF;
          END IF;
        END IF;
        INSERT INTO budget_reservations (request_id, token, key_id, team_id, amount_nanos, instance_id, model_group, deployment_id, provider, created_at)
        VALUES (p_request_id, p_token, p_key_id, p_team_id, p_amount, p_instance_id, p_model_group, p_deployment_id, p_provider, p_now);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION tollgate_settle(
        p_request_id TEXT, p_actual BIGINT,
        p_key_id TEXT, p_key_window BIGINT, p_team_id TEXT, p_team_window BIGINT, p_now BIGINT
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
         WHERE key_id = p_key_id
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

  async down(): Promise<void> {
    throw new Error('StableKeyIdPostgres1764400000000 is not reversible: restore from a backup taken before it');
  }
}
