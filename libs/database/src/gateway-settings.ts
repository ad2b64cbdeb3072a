import { Injectable } from '@nestjs/common';

import { Sql } from './sql';

/**
 * `gateway_settings`: named values every instance shares (the generated master key's hash, the
 * dashboard's session secret). Writes are first-writer-wins or compare-and-swap, so instances
 * starting or rotating at once agree on one value: read it back after writing.
 */
@Injectable()
export class GatewaySettings {
  constructor(private readonly sql: Sql) {}

  async get(name: string): Promise<string | null> {
    const result = await this.sql.query<{ value: string }>(`SELECT value FROM gateway_settings WHERE name = ?`, [name]);
    return result.rows[0]?.value ?? null;
  }

  /** Writes `value` unless the setting exists. */
  async setIfAbsent(name: string, value: string): Promise<void> {
    await this.sql.query(`INSERT INTO gateway_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, [name, value]);
  }

  /** Writes `value` only if the setting still holds `previous`. */
  async replace(name: string, previous: string, value: string): Promise<void> {
    await this.sql.query(`UPDATE gateway_settings SET value = ? WHERE name = ? AND value = ?`, [value, name, previous]);
  }
}
