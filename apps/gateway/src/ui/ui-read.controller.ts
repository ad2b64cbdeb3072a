import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, AuthMode } from '@tollgate/keys';
import { UiReportsService } from './ui-reports.service';
import { UI_SESSION_COOKIE } from './ui-session';
import { UiSessionGuard } from './ui-session.guard';
import { UiLogsQueryDto } from './ui.dto';

/** The Overview, Logs and Models pages' data (dashboard session). */
@ApiTags('ui')
@ApiCookieAuth(UI_SESSION_COOKIE)
@Auth(AuthMode.Public)
@UseGuards(UiSessionGuard)
@Controller('ui/api')
export class UiReadController {
  constructor(private readonly reports: UiReportsService) {}

  @Get('overview')
  @ApiOperation({
    summary: 'Spend in the current budget periods (total, by team, by key), daily spend by team and traffic for the last 30 days, budgets closest to their limit',
  })
  overview(): Promise<unknown> {
    return this.reports.overview();
  }

  @Get('logs')
  @ApiOperation({ summary: 'The spend ledger, newest first, filtered; keyset-paginated with `before` = the previous page\'s `next_before`' })
  logs(@Query() query: UiLogsQueryDto): Promise<unknown> {
    return this.reports.logs(query);
  }

  @Get('models')
  @ApiOperation({ summary: 'Every model alias: deployments, live health (Ollama probed) and fallback chain' })
  models(): Promise<unknown> {
    return this.reports.models();
  }
}
