import { ApiPropertyOptional } from '@nestjs/swagger';
import { SPEND_SOURCES } from '@tollgate/spend';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** One of the two, depending on GET /ui/api/login's `method`. */
export class UiLoginDto {
  @ApiPropertyOptional({ description: 'The master key (when UI_USERNAME/UI_PASSWORD are not configured)' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  master_key?: string;

  @ApiPropertyOptional({ description: 'UI_USERNAME' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({ description: 'UI_PASSWORD' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  password?: string;
}

export const LEDGER_STATUSES = ['success', 'error', 'budget_exceeded', 'client_cancelled', 'unsettled'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_LOG_PAGE = 200;

/**
 * Filters of the Logs page. Validated like every admin body: an unknown parameter is a 400 that
 * names it, so a typo never silently widens the result.
 */
export class UiLogsQueryDto {
  @ApiPropertyOptional({ description: 'A key alias or token (SHA-256 hash); never the raw key' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  key?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  team_id?: string;

  @ApiPropertyOptional({ description: 'Model group: the alias the client asked for' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  model?: string;

  @ApiPropertyOptional({ enum: LEDGER_STATUSES })
  @IsOptional()
  @IsIn(LEDGER_STATUSES)
  status?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  session_id?: string;

  @ApiPropertyOptional({ enum: SPEND_SOURCES, description: 'gateway calls, or subscription tools reporting over OTLP' })
  @IsOptional()
  @IsIn(SPEND_SOURCES)
  source?: string;

  @ApiPropertyOptional({ description: 'First UTC day included, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a date, YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ description: 'Last UTC day included, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a date, YYYY-MM-DD' })
  to?: string;

  @ApiPropertyOptional({ description: "Keyset cursor: the previous page's `next_before` (`<start_time ms>:<request_id>`)" })
  @IsOptional()
  @Matches(/^\d{1,16}:[^\s]{1,200}$/, { message: 'before must be a cursor returned as next_before' })
  before?: string;

  @ApiPropertyOptional({ description: `Rows per page (default 50, at most ${MAX_LOG_PAGE})` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LOG_PAGE)
  limit?: number;
}

export class UiSessionsQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  team_id?: string;

  @ApiPropertyOptional({ enum: SPEND_SOURCES, description: 'gateway calls, or subscription tools reporting over OTLP' })
  @IsOptional()
  @IsIn(SPEND_SOURCES)
  source?: string;
}
