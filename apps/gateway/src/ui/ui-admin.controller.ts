import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { apiKeyToApi, Auth, AuthMode, isKeyToken, KeyFieldsDto, KeysService } from '@tollgate/keys';
import { NewTeamDto, TeamFieldsDto, TeamsService, teamToApi } from '@tollgate/teams';

import { InvalidRequestError } from '../common/invalid-request.errors';
import { UI_SESSION_COOKIE } from './ui-session';
import { CSRF_HEADER_DOC, UiSessionGuard } from './ui-session.guard';

/** Keys the Keys page lists; beyond this the page says the list is cut. */
const MAX_LISTED_KEYS = 1000;

/**
 * Team and key management for the dashboard: the same services, DTOs and validation as the
 * admin API (/team/*, /key/*), reached with the session cookie instead of the master key.
 */
@ApiTags('ui')
@ApiCookieAuth(UI_SESSION_COOKIE)
@Auth(AuthMode.Public)
@UseGuards(UiSessionGuard)
@Controller('ui/api')
export class UiAdminController {
  constructor(
    private readonly teams: TeamsService,
    private readonly keys: KeysService,
  ) {}

  @Get('teams')
  @ApiOperation({ summary: 'Every team with its budget state (spend, reserved, max_budget, reset date) and key count' })
  async listTeams(): Promise<unknown> {
    const [teams, keyCount] = await Promise.all([this.teams.list(), this.keys.countByTeam()]);
    return teams.map((team) => ({ ...teamToApi(team), key_count: keyCount.get(team.teamId) ?? 0 }));
  }

  @Post('teams')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiOperation({ summary: 'Create a team (body as POST /team/new)' })
  async createTeam(@Body() dto: NewTeamDto): Promise<unknown> {
    return teamToApi(await this.teams.create(dto));
  }

  @Patch('teams/:team_id')
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiParam({ name: 'team_id' })
  @ApiOperation({ summary: 'Change a team: budget, duration, limits (body as POST /team/update, without team_id)' })
  async updateTeam(@Param('team_id') teamId: string, @Body() dto: TeamFieldsDto): Promise<unknown> {
    return teamToApi(await this.teams.update(teamId, dto));
  }

  @Post('teams/:team_id/block')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiOperation({ summary: 'Block a team: every key in it is refused' })
  async blockTeam(@Param('team_id') teamId: string): Promise<unknown> {
    return teamToApi(await this.teams.update(teamId, { blocked: true }));
  }

  @Post('teams/:team_id/unblock')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiOperation({ summary: 'Unblock a team' })
  async unblockTeam(@Param('team_id') teamId: string): Promise<unknown> {
    return teamToApi(await this.teams.update(teamId, { blocked: false }));
  }

  @Get('keys')
  @ApiOperation({ summary: `Virtual keys, newest first (at most ${MAX_LISTED_KEYS}), with spend, budget and last use; never the raw key` })
  async listKeys(): Promise<unknown> {
    const [page, teams] = await Promise.all([this.keys.list({}, 1, MAX_LISTED_KEYS), this.teams.list()]);
    const teamLabel = new Map(teams.map((team) => [team.teamId, team.teamAlias ?? team.teamId]));
    return {
      keys: page.keys.map((key) => ({ ...apiKeyToApi(key), team_label: key.teamId ? (teamLabel.get(key.teamId) ?? key.teamId) : null })),
      total: page.total,
      truncated: page.total > page.keys.length,
    };
  }

  @Post('keys')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiOperation({ summary: 'Create a virtual key (body as POST /key/generate); the raw key is in this answer only' })
  async createKey(@Body() dto: KeyFieldsDto): Promise<unknown> {
    const created = await this.keys.generate(dto);
    return { key: created.key, ...apiKeyToApi(created.record) };
  }

  @Post('keys/:token/block')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiParam({ name: 'token', description: "The key's token (SHA-256 hex), as listed" })
  @ApiOperation({ summary: 'Block a key: refused on every instance within a second' })
  async blockKey(@Param('token') token: string): Promise<unknown> {
    return apiKeyToApi(await this.keys.update(tokenParam(token), { blocked: true }));
  }

  @Post('keys/:token/unblock')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiParam({ name: 'token', description: "The key's token (SHA-256 hex), as listed" })
  @ApiOperation({ summary: 'Unblock a key' })
  async unblockKey(@Param('token') token: string): Promise<unknown> {
    return apiKeyToApi(await this.keys.update(tokenParam(token), { blocked: false }));
  }

  @Delete('keys/:token')
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiParam({ name: 'token', description: "The key's token (SHA-256 hex), as listed" })
  @ApiOperation({ summary: 'Delete a key; its ledger rows stay' })
  async deleteKey(@Param('token') token: string): Promise<unknown> {
    return { deleted_keys: await this.keys.delete({ keys: [tokenParam(token)] }) };
  }
}

/**
 * Keys are named by token in dashboard URLs. The admin API also takes raw keys, but a raw key in
 * a URL ends up in access logs and browser history, so here only the hash is accepted.
 */
function tokenParam(token: string): string {
  if (!isKeyToken(token))
    throw new InvalidRequestError('Name the key by its token (64 hex digits), as the key list shows it', 'token', 'invalid_field');
  return token;
}
