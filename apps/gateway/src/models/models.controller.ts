import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Auth, AuthMode, callerOf, mayCallModel } from '@tollgate/keys';
import { RateLimitGuard } from '@tollgate/rate-limits';
import { ModelRegistry } from '@tollgate/routing';
import type { Request } from 'express';

const STARTED_AT = Math.floor(Date.now() / 1000);

/**
 * OpenAI's model list. Without a key it names the aliases only (the seed's verify step calls it
 * that way); with a key, only what that key may call. Nothing about deployments is revealed here.
 */
@ApiExcludeController()
@Auth(AuthMode.OptionalKey)
@UseGuards(RateLimitGuard)
@Controller()
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get(['v1/models', 'models'])
  list(@Req() req: Request): unknown {
    const caller = callerOf(req);
    const aliases = this.registry.aliases().filter((alias) => !caller || mayCallModel(caller, alias));
    return {
      object: 'list',
      data: aliases.map((id) => ({ id, object: 'model', created: STARTED_AT, owned_by: 'tollgate' })),
    };
  }
}
