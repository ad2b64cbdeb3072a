import { Injectable } from '@nestjs/common';
import { type Deployment, ProviderRegistry, UpstreamError } from '@tollgate/providers';
import { DeploymentHealth, ModelRegistry } from '@tollgate/routing';
import { DataSource } from 'typeorm';

export interface DeploymentReport {
  model_name: string;
  model_id: string;
  provider: string;
  model: string;
  api_base: string;
  state: 'healthy' | 'cooling_down' | 'unhealthy' | 'unknown';
  probed: boolean;
  error: string | null;
  cooldown_until: string | null;
}

const PROBE_CACHE_MS = 2_000;

/**
 * Deployment health for `/health`. Local (Ollama) deployments are probed live with a call that
 * loads no model; cloud ones are judged from real traffic unless a probe is asked for, because
 * a health check must never cost money or burn rate limit by default.
 */
@Injectable()
export class HealthService {
  private readonly probes = new Map<string, { at: number; result: Promise<string | null> }>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly providers: ProviderRegistry,
    private readonly passive: DeploymentHealth,
    private readonly dataSource: DataSource,
  ) {}

  async report(probeCloud: boolean): Promise<DeploymentReport[]> {
    return Promise.all(this.registry.allDeployments().map((d) => this.reportOne(d, probeCloud || d.provider === 'ollama')));
  }

  async databaseReachable(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private async reportOne(deployment: Deployment, probe: boolean): Promise<DeploymentReport> {
    const passive = this.passive.snapshot(deployment.id);
    const base = {
      model_name: deployment.alias,
      model_id: deployment.id,
      provider: deployment.provider,
      model: deployment.model,
      api_base: deployment.apiBase,
      cooldown_until: passive.cooldownUntil,
    };
    if (!probe) {
      const state = passive.lastError === null ? 'unknown' : passive.state;
      return { ...base, state, probed: false, error: passive.lastError };
    }
    const error = await this.probe(deployment);
    const state = error !== null ? 'unhealthy' : passive.state === 'cooling_down' ? 'cooling_down' : 'healthy';
    return { ...base, state, probed: true, error: error ?? (state === 'cooling_down' ? passive.lastError : null) };
  }

  /** Probes are shared across concurrent health calls and cached briefly, so /health cannot hammer an upstream. */
  private probe(deployment: Deployment): Promise<string | null> {
    const key = `${deployment.provider} ${deployment.apiBase}`;
    const cached = this.probes.get(key);
    if (cached && Date.now() - cached.at < PROBE_CACHE_MS) return cached.result;
    const result = this.providers
      .adapterFor(deployment.provider)
      .probe(deployment)
      .then(
        () => null,
        (error: unknown) => (error instanceof UpstreamError ? error.message : String(error)),
      );
    this.probes.set(key, { at: Date.now(), result });
    return result;
  }
}
