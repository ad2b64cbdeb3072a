import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, AuthMode } from '@tollgate/keys';
import { SpendReportsService } from '@tollgate/spend';

import { UiLogsQueryDto, UiSessionsQueryDto } from './ui.dto';
import { UiReportsService } from './ui-reports.service';
import { UI_SESSION_COOKIE } from './ui-session';
import { UiSessionGuard } from './ui-session.guard';

/** Sessions the Sessions page lists: the most recently active, enough for a month of a team's work. */
const SESSIONS_PAGE = 200;

/** The Overview, Logs and Models pages' data (dashboard session). */
@ApiTags('ui')
@ApiCookieAuth(UI_SESSION_COOKIE)
@Auth(AuthMode.Public)
@UseGuards(UiSessionGuard)
@Controller('ui/api')
export class UiReadController {
  constructor(
    private readonly reports: UiReportsService,
    private readonly spend: SpendReportsService,
  ) {}

  @Get('overview')
  @ApiOperation({
    summary:
      'Spend in the current budget periods (total, by team, by key), daily spend by team and traffic for the last 30 days, budgets closest to their limit',
  })
  overview(): Promise<unknown> {
    return this.reports.overview();
  }

  @Get('logs')
  @ApiOperation({ summary: "The spend ledger, newest first, filtered; keyset-paginated with `before` = the previous page's `next_before`" })
  logs(@Query() query: UiLogsQueryDto): Promise<unknown> {
    return this.reports.logs(query);
  }

  @Get('sessions')
  @ApiOperation({
    summary:
      'Client sessions, gateway and subscription tools alike, most recently active first, with requests, tokens, costs and active time',
  })
  sessions(@Query() query: UiSessionsQueryDto): Promise<unknown> {
    return this.spend.sessions(
      { teamId: query.team_id || undefined, source: query.source || undefined, range: { fromMs: null, toMs: null } },
      { page: 1, pageSize: SESSIONS_PAGE },
    );
  }

  @Get('models')
  @ApiOperation({ summary: 'Every model alias: deployments, live health (Ollama probed) and fallback chain' })
  models(): Promise<unknown> {
    return this.reports.models();
  }
}
