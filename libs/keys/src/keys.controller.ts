import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InvalidAdminQueryError } from '@tollgate/teams';

import { apiKeyToApi } from './api-key';
import { DeleteKeysDto, KeyFieldsDto, KeyRefDto, UpdateKeyDto } from './key.dto';
import { type CreatedKey, KeysService } from './keys.service';

function createdKeyToApi(created: CreatedKey): Record<string, unknown> {
  return { key: created.key, ...apiKeyToApi(created.record) };
}

/** LiteLLM's virtual key routes (master key). */
@ApiTags('keys')
@ApiBearerAuth()
@Controller('key')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post('generate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a virtual key; the raw key is in this answer only' })
  async generate(@Body() dto: KeyFieldsDto): Promise<unknown> {
    return createdKeyToApi(await this.keys.generate(dto));
  }

  @Post('update')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change a key; takes effect on every instance within a second' })
  async update(@Body() dto: UpdateKeyDto): Promise<unknown> {
    const { key, ...fields } = dto;
    const updated = await this.keys.update(key, fields);
    // `key` is the token even when the raw key was sent: a raw key is shown once, at /key/generate.
    return { key: updated.token, ...apiKeyToApi(updated) };
  }

  @Post('delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete keys by raw key, token or key_aliases' })
  async delete(@Body() dto: DeleteKeysDto): Promise<unknown> {
    if (!dto.keys && !dto.key_aliases) throw new InvalidAdminQueryError('Give "keys" or "key_aliases"', 'keys');
    return { deleted_keys: await this.keys.delete(dto) };
  }

  @Post('block')
  @HttpCode(200)
  async block(@Body() dto: KeyRefDto): Promise<unknown> {
    return apiKeyToApi(await this.keys.update(dto.key, { blocked: true }));
  }

  @Post('unblock')
  @HttpCode(200)
  async unblock(@Body() dto: KeyRefDto): Promise<unknown> {
    return apiKeyToApi(await this.keys.update(dto.key, { blocked: false }));
  }

  @Post('regenerate')
  @HttpCode(200)
  @ApiOperation({ summary: 'New secret for the same key; spend and settings kept, old secret refused' })
  async regenerate(@Body() dto: KeyRefDto): Promise<unknown> {
    return createdKeyToApi(await this.keys.regenerate(dto.key));
  }

  @Get('info')
  @ApiOperation({ summary: 'One key with spend, max_budget, budget_duration and budget_reset_at' })
  @ApiQuery({ name: 'key', required: true, description: 'Raw key or token' })
  async info(@Query('key') key?: string): Promise<unknown> {
    if (!key) throw new InvalidAdminQueryError('Query parameter "key" is required', 'key');
    const record = await this.keys.get(key);
    // The token, not the key as given: a raw secret is never echoed back after creation.
    return { key: record.token, info: apiKeyToApi(record) };
  }

  @Get('list')
  @ApiOperation({ summary: 'Keys, paginated' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'size', required: false })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiQuery({ name: 'user_id', required: false })
  @ApiQuery({ name: 'key_alias', required: false })
  @ApiQuery({ name: 'return_full_object', required: false })
  async list(
    @Query('page') pageText?: string,
    @Query('size') sizeText?: string,
    @Query('team_id') teamId?: string,
    @Query('user_id') userId?: string,
    @Query('key_alias') keyAlias?: string,
    @Query('return_full_object') full?: string,
  ): Promise<unknown> {
    const page = positiveInt(pageText, 1, 'page');
    const size = Math.min(positiveInt(sizeText, 50, 'size'), 500);
    const result = await this.keys.list({ teamId, userId, keyAlias }, page, size);
    return {
      keys: full === 'true' ? result.keys.map((k) => apiKeyToApi(k)) : result.keys.map((k) => k.token),
      total_count: result.total,
      current_page: page,
      total_pages: Math.max(1, Math.ceil(result.total / size)),
    };
  }
}

function positiveInt(text: string | undefined, fallback: number, param: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidAdminQueryError(`"${param}" must be a positive integer`, param);
  return value;
}
