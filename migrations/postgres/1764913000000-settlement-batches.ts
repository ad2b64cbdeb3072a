import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement off the response path (PostgreSQL).
 *
 * `tollgate_reserve` also returns the key's settled spend in its window, read by the UPDATE that
 * reserves (or, for a zero reservation, one indexed read), so an answer can carry
 * `x-litellm-key-spend` (spend before the call + its cost) without waiting for its settlement.
 *
 * `tollgate_settle_batch` moves the money of a batch of settlements in one call: the gateway
 * writes every settlement that finished in one event-loop turn with one statement. It moves money
 * only for the request ids in `p_landed` (the ledger rows the caller's INSERT actually added), so
 * a replayed batch charges nothing twice.
 */
export class SettlementBatchesPostgres1764913000000 implements MigrationInterface {
  name = 'SettlementBatchesPostgres1764913000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tollgate_reserve(TEXT, TEXT, BIGINT, TEXT, BIGINT, TEXT, BIGINT, TEXT, TEXT, TEXT, BIGINT, TEXT)`);
    await q.query(`
      CREATE FUNCTION tollgate_reserve(
        p_request_id TEXT, p_instance_id TEXT, p_amount BIGINT,
        p_key_id TEXT, p_key_window BIGINT, p_team_id TEXT, p_team_window BIGINT,
        p_model_group TEXT, p_deployment_id TEXT, p_provider TEXT, p_now BIGINT, p_token TEXT,
        OUT refused TEXT, OUT key_spend BIGINT
      ) LANGUAGE plpgsql AS $$
      BEGIN
        IF p_amount > 0 THEN
          UPDATE api_keys
             SET spend_nanos = CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END,
                 window_start = GREATEST(window_start, p_key_window),
                 reserved_nanos = reserved_nanos + p_amount
           WHERE key_id = p_key_id
             AND (max_budget_nanos IS NULL
                  OR (CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END) + reserved_nanos + p_amount <= max_budget_nanos)
          RETURNING spend_nanos INTO key_spend;
          IF NOT FOUND THEN refused := 'key'; RETURN; END IF;
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
              refused := 'team';
              key_spend := NULL;
              RETURN;
            END IF;
          END IF;
        ELSE
          SELECT CASE WHEN window_start < p_key_window THEN 0 ELSE spend_nanos END INTO key_spend FROM api_keys WHERE key_id = p_key_id;
        END IF;
        INSERT INTO budget_reservations (request_id, token, key_id, team_id, amount_nanos, instance_id, model_group, deployment_id, provider, created_at)
        VALUES (p_request_id, p_token, p_key_id, p_team_id, p_amount, p_instance_id, p_model_group, p_deployment_id, p_provider, p_now);
      END $$`);
    await q.query(`
      CREATE FUNCTION tollgate_settle_batch(
        p_landed TEXT[], p_request_ids TEXT[], p_actuals BIGINT[],
        p_key_ids TEXT[], p_key_windows BIGINT[], p_team_ids TEXT[], p_team_windows BIGINT[], p_nows BIGINT[]
      ) RETURNS INTEGER LANGUAGE plpgsql AS $$
      DECLARE
        v_moved INTEGER := 0;
      BEGIN
        -- One lock order for every batch: all its keys, then all its teams, each sorted. A reservation
        -- locks one key then one team, so no batch or reservation can wait on another in a cycle.
        PERFORM 1 FROM api_keys WHERE key_id = ANY(p_key_ids) ORDER BY key_id FOR UPDATE;
        PERFORM 1 FROM teams WHERE team_id = ANY(p_team_ids) ORDER BY team_id FOR UPDATE;
        FOR i IN 1 .. COALESCE(array_length(p_request_ids, 1), 0) LOOP
          IF p_key_ids[i] IS NOT NULL AND p_request_ids[i] = ANY(p_landed) THEN
            PERFORM tollgate_settle(p_request_ids[i], p_actuals[i], p_key_ids[i], p_key_windows[i], p_team_ids[i], p_team_windows[i], p_nows[i]);
            v_moved := v_moved + 1;
          END IF;
        END LOOP;
        RETURN v_moved;
      END $$`);
  }

  async down(): Promise<void> {
    throw new Error('SettlementBatchesPostgres1764913000000 is not reversible: restore from a backup taken before it');
  }
}
