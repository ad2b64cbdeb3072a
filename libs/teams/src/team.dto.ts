import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Min, ValidateIf, ArrayNotEmpty } from 'class-validator';

export const DURATION_PATTERN = /^\d+\s*(mo|s|m|h|d|w)$/;
const DURATION_MESSAGE = 'budget_duration must look like 30s, 5m, 24h, 1d, 7d, 30d or 1mo';

/** Fields shared by /team/new and /team/update, with LiteLLM's names. `null` clears a limit. */
export class TeamFieldsDto {
  @ApiPropertyOptional({ example: 'sensit-dev' })
  @IsOptional()
  @IsString()
  team_alias?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'Aliases the team may call; empty = all' })
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
  @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
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

export class NewTeamDto extends TeamFieldsDto {
  @ApiPropertyOptional({ description: 'Generated when absent' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'team_id may hold letters, digits and . _ : @ - (at most 128)' })
  team_id?: string;
}

export class UpdateTeamDto extends TeamFieldsDto {
  @ApiProperty()
  @IsString()
  team_id!: string;
}

export class TeamIdDto {
  @ApiProperty()
  @IsString()
  team_id!: string;
}

export class DeleteTeamsDto {
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  team_ids!: string[];
}
