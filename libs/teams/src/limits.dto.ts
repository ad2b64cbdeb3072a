import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsNumber, IsOptional, Max, Min, ValidateIf } from 'class-validator';

import { IsBoundedDuration, IsBoundedMetadata, IsStorableName, IsWholeNanoDollars, MAX_BUDGET_USD } from './admin-fields';

/** Most entries in a model allow-list. */
const MAX_ALLOWED_MODELS = 1_000;

/**
 * What keys and teams share, with LiteLLM's names: model allow-list, budget, rate limits,
 * metadata, blocked. `null` clears a limit; an absent field is left as it is.
 */
export class LimitsDto {
  @ApiPropertyOptional({ type: [String], description: 'Aliases that may be called; empty = all' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_MODELS)
  @IsStorableName({ each: true })
  models?: string[];

  @ApiPropertyOptional({ example: 50, description: 'USD per budget window; null = no limit' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_BUDGET_USD)
  @IsWholeNanoDollars()
  max_budget?: number | null;

  @ApiPropertyOptional({ example: '1mo' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsBoundedDuration()
  budget_duration?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  tpm_limit?: number | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  rpm_limit?: number | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsBoundedMetadata()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  blocked?: boolean;
}

/** Whether an update sets the budget or its window, so spend may now be past a threshold of the new budget. */
export function changesBudget(dto: Pick<LimitsDto, 'max_budget' | 'budget_duration'>): boolean {
  return dto.max_budget !== undefined || dto.budget_duration !== undefined;
}
