import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * docker-compose.yml must stay valid even though this machine has no Docker engine:
 * `docker compose config` (or the standalone docker-compose) parses and resolves it without one.
 */
function composeConfig(): string {
  const file = resolve(__dirname, '../../docker-compose.yml');
  const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let pluginAvailable = true;
  try {
    run('docker', ['compose', 'version']);
  } catch {
    pluginAvailable = false;
  }
  return pluginAvailable ? run('docker', ['compose', '-f', file, 'config']) : run('docker-compose', ['-f', file, 'config']);
}

describe('docker-compose.yml', () => {
  it('validates, with the gateway on PostgreSQL and a readiness health check', () => {
    const config = composeConfig();
    expect(config).toMatch(/^ {2}gateway:$/m);
    expect(config).toMatch(/^ {2}postgres:$/m);
    expect(config).toContain('DATABASE_URL: postgresql://tollgate:tollgate@postgres:5432/tollgate');
    expect(config).toContain('condition: service_healthy');
    expect(config).toContain('/health/readiness');
  });
});
