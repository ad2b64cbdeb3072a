import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Auth, AuthMode, MasterKeyCheck, presentedSecret } from '@tollgate/keys';
import type { Request, Response } from 'express';

import { HealthService } from './health.service';

@ApiTags('health')
@Auth(AuthMode.Public)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly masterKey: MasterKeyCheck,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Overall status; with the master key, every deployment',
    description:
      'Always 200 without a key so CI verify steps can call it. Ollama is probed live (/api/version); cloud deployments only with probe_cloud=true, which needs the master key (it makes the gateway call paid providers).',
  })
  @ApiQuery({ name: 'probe_cloud', required: false, type: Boolean })
  async overall(@Req() req: Request, @Query('probe_cloud') probeCloud?: string): Promise<unknown> {
    const secret = presentedSecret(req);
    const probeCloudToo = probeCloud === 'true';
    if (probeCloudToo)
      await this.masterKey.require(req, secret, 'probe_cloud=true needs the master key: it makes the gateway call cloud providers');
    const isMaster = probeCloudToo || (await this.masterKey.presented(req, secret));
    const deployments = await this.health.report(probeCloudToo);
    const healthy = deployments.filter((d) => d.state === 'healthy' || d.state === 'unknown');
    const unhealthy = deployments.filter((d) => d.state === 'unhealthy' || d.state === 'cooling_down');
    const summary = {
      status: unhealthy.length === 0 ? 'healthy' : healthy.length === 0 ? 'unhealthy' : 'degraded',
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    };
    if (!isMaster) return summary;
    return { ...summary, healthy_endpoints: healthy, unhealthy_endpoints: unhealthy };
  }

  @Get(['liveliness', 'liveness'])
  @ApiOperation({ summary: 'The process is up (LiteLLM name: liveliness)' })
  liveliness(): string {
    return "I'm alive!";
  }

  @Get('readiness')
  @ApiOperation({ summary: 'Ready to serve: the database answers' })
  async readiness(@Res() res: Response): Promise<void> {
    const reachable = await this.health.databaseReachable();
    res.status(reachable ? 200 : 503).json({ status: reachable ? 'healthy' : 'unhealthy', db: reachable ? 'connected' : 'disconnected' });
  }
}
