import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ModelRegistry } from '@tollgate/routing';

const STARTED_AT = Math.floor(Date.now() / 1000);

/**
 * OpenAI's model list. Without a key it names the aliases only (the seed's verify step calls it
 * that way); nothing about deployments or upstreams is revealed here.
 */
@ApiExcludeController()
@Controller()
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get(['v1/models', 'models'])
  list(): unknown {
    return {
      object: 'list',
      data: this.registry.aliases().map((id) => ({ id, object: 'model', created: STARTED_AT, owned_by: 'tollgate' })),
    };
  }
}
