import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Min, ValidateIf } from 'class-validator';
import { DURATION_PATTERN } from '@tollgate/teams';

const DURATION_MESSAGE = 'must look like 30s, 5m, 24h, 1d, 7d, 30d or 1mo';

/** Fields of /key/generate and /key/update, with LiteLLM's names. `null` clears a limit. */
export class KeyFieldsDto {
  @ApiPropertyOptional({ example: 'sensit-dev-laptop' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  key_alias?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  team_id?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  user_id?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'Aliases the key may call; empty = all' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  models?: string[];

  @ApiPropertyOptional({ example: 10, description: 'USD per budget window; null = no limit' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_budget?: number | null;

  @ApiPropertyOptional({ example: '30d' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: `budget_duration ${DURATION_MESSAGE}` })
  budget_duration?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  tpm_limit?: number | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  rpm_limit?: number | null;

  @ApiPropertyOptional({ example: '90d', description: 'Key lifetime from now; null = never expires' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: `duration ${DURATION_MESSAGE}` })
  duration?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  blocked?: boolean;
}

export class UpdateKeyDto extends KeyFieldsDto {
  @ApiProperty({ description: 'The raw key or its token (hash)' })
  @IsString()
  key!: string;
}

export class KeyRefDto {
  @ApiProperty({ description: 'The raw key or its token (hash)' })
  @IsString()
  key!: string;
}

export class DeleteKeysDto {
  @ApiPropertyOptional({ type: [String], description: 'Raw keys or tokens' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  keys?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  key_aliases?: string[];
}
