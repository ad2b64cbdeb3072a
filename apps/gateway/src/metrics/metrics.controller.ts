import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, AuthMode, MasterKeyCheck, presentedSecret } from '@tollgate/keys';
import type { Request, Response } from 'express';

import { sameSecret } from '../common/same-secret';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { MetricsExposition } from './metrics-exposition';

/**
 * LiteLLM's `/metrics` for Prometheus. Access is checked here rather than by the global guard, since
 * either of two credentials opens it (or none, when configured public); a wrong one counts as a
 * failed guess like any other.
 */
@ApiTags('metrics')
@Auth(AuthMode.Public)
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsExposition,
    private readonly masterKey: MasterKeyCheck,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'LiteLLM metric names and labels, Tollgate budget and settlement gauges, Node process metrics. Needs the master key or PROMETHEUS_API_KEY unless litellm_settings.require_auth_for_metrics_endpoint is false.',
  })
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.checkAccess(req);
    const body = await this.metrics.exposition();
    res.setHeader('content-type', this.metrics.contentType);
    res.send(body);
  }

  private async checkAccess(req: Request): Promise<void> {
    const { requireAuth, apiKey } = this.config.metrics;
    if (!requireAuth) return;
    const secret = presentedSecret(req);
    if (apiKey !== null && secret !== undefined && sameSecret(secret, apiKey)) return;
    await this.masterKey.require(
      req,
      secret,
      'The /metrics endpoint needs the master key or PROMETHEUS_API_KEY (Authorization: Bearer <key>)',
    );
  }
}
