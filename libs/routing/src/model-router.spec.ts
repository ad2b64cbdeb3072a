import { type Deployment, openAIError, ProviderRequestError, UpstreamError } from '@tollgate/providers';

import { DeploymentHealth } from './deployment-health';
import { ModelRegistry } from './model-registry';
import { ModelRouter } from './model-router';
import { RouteFailedError, RoutingError, RoutingErrorCode } from './routing.errors';
import type { RoutingSettings } from './routing-settings';

function deployment(alias: string, index: number, provider: Deployment['provider'] = 'openai'): Deployment {
  return {
    id: `${alias}#${index}`,
    alias,
    provider,
    model: `${alias}-model`,
    apiBase: `http://upstream-${index}`,
    timeoutMs: 1000,
    streamTimeoutMs: 1000,
  };
}

const refused = () => new UpstreamError('connection', 503, openAIError('refused', 'api_error', 'upstream_unreachable'));
const badRequest = () => new UpstreamError('http', 400, openAIError('bad', 'invalid_request_error'));

function setup(deployments: Deployment[], overrides: Partial<RoutingSettings> = {}) {
  const settings: RoutingSettings = {
    fallbacks: {},
    numRetries: 2,
    allowedFails: 2,
    cooldownMs: 60_000,
    strategy: 'simple-shuffle',
    ...overrides,
  };
  const health = new DeploymentHealth(settings);
  const router = new ModelRouter(new ModelRegistry(deployments, settings), health, settings);
  return { router, health };
}

describe('ModelRouter', () => {
  it('falls back to the next alias when every deployment of the first refuses', async () => {
    const { router } = setup([deployment('local', 0, 'ollama'), deployment('cloud', 1, 'anthropic')], { fallbacks: { local: ['cloud'] } });
    const tried: string[] = [];
    const result = await router.route('local', async (d) => {
      tried.push(d.id);
      if (d.alias === 'local') throw refused();
      return 'answer';
    });
    expect(tried).toEqual(['local#0', 'cloud#1']);
    expect(result).toMatchObject({ value: 'answer', servedByAlias: 'cloud', attemptedFallbacks: 1 });
  });

  it('retries on other deployments of the group, at most num_retries more', async () => {
    const group = [0, 1, 2, 3].map((i) => deployment('g', i));
    const { router } = setup(group, { numRetries: 1 });
    const tried: string[] = [];
    const failure = router.route('g', async (d) => {
      tried.push(d.id);
      throw refused();
    });
    await expect(failure).rejects.toBeInstanceOf(RouteFailedError);
    expect(tried).toHaveLength(2);
    expect(new Set(tried).size).toBe(2);
  });

  it('returns a caller error at once, without retries or fallbacks', async () => {
    const { router } = setup([deployment('a', 0), deployment('a', 1), deployment('b', 2)], { fallbacks: { a: ['b'] } });
    let attempts = 0;
    const failure = router.route('a', async () => {
      attempts++;
      throw badRequest();
    });
    await expect(failure).rejects.toMatchObject({ lastError: { status: 400 }, attemptedFallbacks: 0 });
    expect(attempts).toBe(1);
  });

  it('moves on to the fallback when a deployment cannot represent the request, without cooling it down', async () => {
    const { router, health } = setup([deployment('local', 0, 'ollama'), deployment('cloud', 1, 'anthropic')], {
      fallbacks: { local: ['cloud'] },
      allowedFails: 0,
    });
    const tried: string[] = [];
    const result = await router.route('local', async (d) => {
      tried.push(d.id);
      if (d.provider === 'ollama')
        throw new ProviderRequestError('Image source type file is not supported for this model', 'messages[0].content[0].source.type');
      return 'answer';
    });
    expect(tried).toEqual(['local#0', 'cloud#1']);
    expect(result).toMatchObject({ value: 'answer', servedByAlias: 'cloud', attemptedFallbacks: 1 });
    expect(health.isCoolingDown('local#0')).toBe(false);
  });

  it('answers 400 naming the field when no deployment can represent the request', async () => {
    const { router } = setup([deployment('local', 0, 'ollama'), deployment('cloud', 1)], { fallbacks: { local: ['cloud'] } });
    const failure = router.route('local', async () => {
      throw new ProviderRequestError("Tool type 'web_search_20250305' runs only on Anthropic's servers", 'tools[0].type');
    });
    await expect(failure).rejects.toMatchObject({
      lastError: { status: 400, body: { error: { type: 'invalid_request_error', param: 'tools[0].type' } } },
      attemptedFallbacks: 1,
    });
  });

  it('cools a deployment down after allowed_fails failures and skips it without calling it', async () => {
    const { router, health } = setup([deployment('local', 0, 'ollama'), deployment('cloud', 1)], {
      fallbacks: { local: ['cloud'] },
      allowedFails: 2,
    });
    const calls: string[] = [];
    const attempt = async (d: Deployment) => {
      calls.push(d.id);
      if (d.alias === 'local') throw refused();
      return 'ok';
    };
    await router.route('local', attempt);
    await router.route('local', attempt);
    expect(health.snapshot('local#0').state).toBe('cooling_down');
    calls.length = 0;
    await router.route('local', attempt);
    expect(calls).toEqual(['cloud#1']);
  });

  it('tries a cooled-down deployment again once its cooldown has passed, and one success heals it', async () => {
    const { router, health } = setup([deployment('a', 0)], { allowedFails: 1, cooldownMs: 1 });
    await expect(
      router.route('a', async () => {
        throw refused();
      }),
    ).rejects.toBeInstanceOf(RouteFailedError);
    await new Promise((r) => setTimeout(r, 5));
    await expect(router.route('a', async () => 'back')).resolves.toMatchObject({ value: 'back' });
    expect(health.snapshot('a#0').state).toBe('healthy');
  });

  it('answers 503-style "no healthy deployment" when everything is cooling down', async () => {
    const { router } = setup([deployment('a', 0)], { allowedFails: 1 });
    await expect(
      router.route('a', async () => {
        throw refused();
      }),
    ).rejects.toBeInstanceOf(RouteFailedError);
    await expect(router.route('a', async () => 'unused')).rejects.toMatchObject({ code: RoutingErrorCode.NO_HEALTHY_DEPLOYMENT });
  });

  it('rejects an unknown alias listing the available ones', async () => {
    const { router } = setup([deployment('a', 0), deployment('b', 1)]);
    const failure = router.route('zzz', async () => 'x');
    await expect(failure).rejects.toBeInstanceOf(RoutingError);
    await expect(failure).rejects.toThrow('Model "zzz" does not exist. Available models: a, b');
  });

  it('least-busy sends work to the deployment with the fewest requests in flight', async () => {
    const { router, health } = setup([deployment('g', 0), deployment('g', 1)], { strategy: 'least-busy' });
    health.started('g#0');
    const result = await router.route('g', async (d) => d.id);
    expect(result.value).toBe('g#1');
  });

  describe('the deployment a count_tokens question goes to', () => {
    it('skips a deployment cooling down after failures', () => {
      const { router, health } = setup([deployment('g', 0), deployment('g', 1, 'anthropic')], { allowedFails: 0 });
      health.recordFailure('g#0', refused());
      expect(router.deploymentFor('g').id).toBe('g#1');
    });

    it('asks the first deployment when every one is cooling down, rather than refusing', () => {
      const { router, health } = setup([deployment('g', 0), deployment('g', 1)], { allowedFails: 0 });
      health.recordFailure('g#0', refused());
      health.recordFailure('g#1', refused());
      expect(router.deploymentFor('g').id).toBe('g#0');
    });

    it('alias enumeration: an unknown alias is refused listing only the aliases the caller may call', () => {
      const { router } = setup([deployment('local', 0, 'ollama'), deployment('gpt', 1)]);
      expect(() => router.deploymentFor('nope', (alias) => alias === 'local')).toThrow(
        'Model "nope" does not exist. Available models: local',
      );
    });
  });

  describe('a caller limited to some aliases', () => {
    const deployments = [
      deployment('local', 0, 'ollama'),
      deployment('gpt', 1),
      deployment('claude', 2, 'anthropic'),
      deployment('mini', 3),
    ];
    const fallbacks = { local: ['gpt', 'mini', 'claude'] };
    const onlyLocalAndMini = (alias: string) => alias === 'local' || alias === 'mini';

    it('fallback escape: never tries a fallback the caller may not call, and counts the skip', async () => {
      const { router } = setup(deployments, { fallbacks });
      const tried: string[] = [];
      const result = await router.route(
        'local',
        async (d) => {
          tried.push(d.alias);
          if (d.alias === 'local') throw refused();
          return 'answer';
        },
        undefined,
        onlyLocalAndMini,
      );
      expect(tried).toEqual(['local', 'mini']);
      expect(result).toMatchObject({ servedByAlias: 'mini', attemptedFallbacks: 1, skippedFallbacks: 2 });
    });

    it('fallback escape: with nothing allowed left, fails with the last allowed error and says fallbacks were not permitted', async () => {
      const { router } = setup(deployments, { fallbacks });
      const tried: string[] = [];
      const failure = router.route(
        'local',
        async (d) => {
          tried.push(d.alias);
          throw refused();
        },
        undefined,
        (alias) => alias === 'local',
      );
      await expect(failure).rejects.toMatchObject({ lastError: { status: 503 }, servedByAlias: 'local', skippedFallbacks: 3 });
      expect(tried.every((alias) => alias === 'local')).toBe(true);
    });

    it('alias enumeration: the unknown-model error lists only the aliases the caller may call', async () => {
      const { router } = setup(deployments, { fallbacks });
      const failure = router.route('nope', async () => 'x', undefined, onlyLocalAndMini);
      await expect(failure).rejects.toMatchObject({
        code: RoutingErrorCode.UNKNOWN_MODEL,
        message: 'Model "nope" does not exist. Available models: local, mini',
      });
    });
  });
});
