import type { GatewayConfig } from './config/gateway-config';
import { startupBanner } from './startup-banner';

const deployments = [{ alias: 'gpt' }, { alias: 'gpt' }, { alias: 'claude' }] as GatewayConfig['deployments'];

describe('startupBanner', () => {
  it('names the version, address, database, deployments and where /docs and /ui are, in five lines', () => {
    const config = { deployments, database: { type: 'sqlite', path: './tollgate.db' }, docsEnabled: true } as GatewayConfig;
    expect(startupBanner(config, { host: '0.0.0.0', port: 4000 }, '1.2.3').split('\n')).toEqual([
      'Tollgate 1.2.3 listening on http://0.0.0.0:4000',
      '  database     sqlite (./tollgate.db)',
      '  deployments  3 (2 model aliases)',
      '  API docs     http://0.0.0.0:4000/docs',
      '  dashboard    http://0.0.0.0:4000/ui',
    ]);
  });

  it('a PostgreSQL URL with a password never reaches the log: only the driver is named', () => {
    const config = {
      deployments,
      database: { type: 'postgres', url: 'postgres://tollgate:hunter2@db:5432/tollgate' },
      docsEnabled: false,
    } as GatewayConfig;
    const banner = startupBanner(config, { host: '::1', port: 4000 }, '1.2.3');
    expect(banner).not.toContain('hunter2');
    expect(banner).toContain('  database     postgres\n');
    expect(banner).toContain('  API docs     off (NO_DOCS)');
    expect(banner).toContain('listening on http://[::1]:4000');
  });

  it('reads its version from the package manifest', () => {
    const config = { deployments, database: { type: 'sqlite', path: 'x' }, docsEnabled: true } as GatewayConfig;
    expect(startupBanner(config, { host: 'h', port: 1 })).toMatch(/^Tollgate \d+\.\d+\.\d+ listening/);
  });

  it('with workers, says how many and whether rate limits are shared', () => {
    const config = { deployments, database: { type: 'sqlite', path: 'x' }, docsEnabled: true } as GatewayConfig;
    expect(startupBanner(config, { host: 'h', port: 1, workers: 1 }, '1.2.3')).not.toContain('workers');
    expect(startupBanner(config, { host: 'h', port: 1, workers: 2 }, '1.2.3')).toContain(
      '\n  workers      2 processes on one port; rate limits counted per worker (set REDIS_URL to share them)\n',
    );
    const withRedis = { ...config, redisUrl: 'redis://r:6379' } as GatewayConfig;
    expect(startupBanner(withRedis, { host: 'h', port: 1, workers: 2 }, '1.2.3')).toContain(
      '  workers      2 processes on one port; rate limits shared in Redis\n',
    );
  });
});
