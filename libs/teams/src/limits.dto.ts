import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Min, ValidateIf } from 'class-validator';

export const DURATION_PATTERN = /^\d+\s*(mo|s|m|h|d|w)$/;
export const DURATION_MESSAGE = 'must look like 30s, 5m, 24h, 1d, 7d, 30d or 1mo';

/**
 * What keys and teams share, with LiteLLM's names: model allow-list, budget, rate limits,
 * metadata, blocked. `null` clears a limit; an absent field is left as it is.
 */
export class LimitsDto {
  @ApiPropertyOptional({ type: [String], description: 'Aliases that may be called; empty = all' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  models?: string[];

  @ApiPropertyOptional({ example: 50, description: 'USD per budget window; null = no limit' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_budget?: number | null;

  @ApiPropertyOptional({ example: '1mo' })
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

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  blocked?: boolean;
}
