import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { tokenOf } from '@tollgate/keys';
import { InvalidAdminQueryError } from '@tollgate/teams';

import {
  MAX_PAGE_SIZE,
  parseGroupBy,
  parsePagination,
  parsePositiveInt,
  parseRequiredTimeRange,
  parseSource,
  parseTimeRange,
  SPEND_SOURCES,
} from './spend-query.dto';
import { SpendReportsService } from './spend-reports.service';

const DATE_HELP = 'YYYY-MM-DD (a whole UTC day) or an ISO 8601 date-time (UTC when it has no zone)';

type QueryParams = Record<string, unknown>;

/**
 * One query parameter as a string; absent or empty is undefined. Express turns `?a=1&a=2` into an
 * array (and `?a[b]=1` into an object): refused by name rather than passed on to the SQL driver.
 */
function param(query: QueryParams, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidAdminQueryError(`Query parameter "${name}" must be given once, as a single value`, name);
  return value;
}

/** Turns an optional `api_key` parameter (raw key or token) into the token the ledger stores. */
function tokenParam(value: string | undefined): string | undefined {
  return value ? tokenOf(value) : undefined;
}

/**
 * LiteLLM's spend reporting routes (master key). Money is USD, converted from the ledger's integer
 * nano-dollars only here; keys appear as their token (hash), never raw.
 */
@ApiTags('spend')
@ApiBearerAuth()
@Controller()
export class SpendController {
  constructor(private readonly reports: SpendReportsService) {}

  @Get('spend/logs')
  @ApiOperation({ summary: 'Ledger rows, newest first, filtered and paginated (a JSON array, as LiteLLM returns)' })
  @ApiQuery({ name: 'api_key', required: false, description: 'Raw key or token' })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiQuery({ name: 'user', required: false, description: "End user (the request body's `user`)" })
  @ApiQuery({ name: 'request_id', required: false, description: 'The x-litellm-call-id of a response' })
  @ApiQuery({ name: 'session_id', required: false, description: 'x-litellm-session-id / x-claude-code-session-id' })
  @ApiQuery({ name: 'model', required: false, description: 'Model group (the alias the client asked for)' })
  @ApiQuery({ name: 'status', required: false, enum: ['success', 'error', 'budget_exceeded', 'client_cancelled', 'unsettled'] })
  @ApiQuery({
    name: 'source',
    required: false,
    enum: SPEND_SOURCES,
    description: 'gateway calls, or subscription tools reporting over OTLP',
  })
  @ApiQuery({ name: 'start_date', required: false, description: DATE_HELP })
  @ApiQuery({ name: 'end_date', required: false, description: `${DATE_HELP}; a date includes that whole day` })
  @ApiQuery({ name: 'page', required: false, description: 'From 1 (default 1)' })
  @ApiQuery({ name: 'page_size', required: false, description: `Rows per page (default 100, at most ${MAX_PAGE_SIZE})` })
  async logs(@Query() query: QueryParams): Promise<unknown> {
    const range = parseTimeRange(param(query, 'start_date'), param(query, 'end_date'));
    const pagination = parsePagination(param(query, 'page'), param(query, 'page_size'));
    return this.reports.logs(
      {
        apiKeyToken: tokenParam(param(query, 'api_key')),
        teamId: param(query, 'team_id'),
        endUser: param(query, 'user'),
        requestId: param(query, 'request_id'),
        sessionId: param(query, 'session_id'),
        modelGroup: param(query, 'model'),
        status: param(query, 'status'),
        source: parseSource(param(query, 'source')),
        range,
      },
      pagination,
    );
  }

  @Get('spend/keys')
  @ApiOperation({ summary: 'Keys with their spend in the current budget window, highest first' })
  @ApiQuery({ name: 'key', required: false, description: 'Raw key or token: only this key' })
  async keys(@Query() query: QueryParams): Promise<unknown> {
    return this.reports.keys(tokenParam(param(query, 'key')));
  }

  @Get('spend/teams')
  @ApiOperation({ summary: 'Teams with spend, reserved spend, budget, reset date and key count' })
  async teams(): Promise<unknown> {
    return this.reports.teams();
  }

  @Get('spend/sessions')
  @ApiOperation({ summary: 'Spend and tokens per client session (e.g. one Claude Code session), most recent first' })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiQuery({ name: 'api_key', required: false, description: 'Raw key or token' })
  @ApiQuery({
    name: 'source',
    required: false,
    enum: SPEND_SOURCES,
    description: 'gateway calls, or subscription tools reporting over OTLP',
  })
  @ApiQuery({ name: 'start_date', required: false, description: DATE_HELP })
  @ApiQuery({ name: 'end_date', required: false, description: `${DATE_HELP}; a date includes that whole day` })
  @ApiQuery({ name: 'page', required: false, description: 'From 1 (default 1)' })
  @ApiQuery({ name: 'page_size', required: false, description: `Sessions per page (default 100, at most ${MAX_PAGE_SIZE})` })
  async sessions(@Query() query: QueryParams): Promise<unknown> {
    const range = parseTimeRange(param(query, 'start_date'), param(query, 'end_date'));
    return this.reports.sessions(
      {
        teamId: param(query, 'team_id'),
        apiKeyToken: tokenParam(param(query, 'api_key')),
        source: parseSource(param(query, 'source')),
        range,
      },
      parsePagination(param(query, 'page'), param(query, 'page_size')),
    );
  }

  @Get('global/spend/teams')
  @ApiOperation({ summary: 'Daily spend per team over the last 30 days (UTC days), with totals per team' })
  async globalTeams(): Promise<unknown> {
    return this.reports.globalTeams();
  }

  @Get('global/spend/keys')
  @ApiOperation({ summary: 'All-time spend per virtual key from the ledger, highest first' })
  @ApiQuery({ name: 'limit', required: false, description: `How many keys (default 100, at most ${MAX_PAGE_SIZE})` })
  async globalKeys(@Query() query: QueryParams): Promise<unknown> {
    return this.reports.globalKeys(parsePositiveInt(param(query, 'limit'), 100, 'limit', MAX_PAGE_SIZE));
  }

  @Get('global/spend/report')
  @ApiOperation({ summary: 'Spend per UTC day, per team, key or end user, split by model' })
  @ApiQuery({ name: 'start_date', required: true, description: DATE_HELP })
  @ApiQuery({ name: 'end_date', required: true, description: `${DATE_HELP}; a date includes that whole day` })
  @ApiQuery({ name: 'group_by', required: false, enum: ['team', 'api_key', 'customer'], description: 'Default team' })
  @ApiQuery({ name: 'team_id', required: false, description: 'Only this team' })
  @ApiQuery({ name: 'api_key', required: false, description: 'Only this key (raw key or token)' })
  async report(@Query() query: QueryParams): Promise<unknown> {
    const range = parseRequiredTimeRange(param(query, 'start_date'), param(query, 'end_date'));
    return this.reports.report(range, parseGroupBy(param(query, 'group_by')), {
      teamId: param(query, 'team_id'),
      apiKeyToken: tokenParam(param(query, 'api_key')),
    });
  }
}
