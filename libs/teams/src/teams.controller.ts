import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';

import { teamToApi } from './team';
import { DeleteTeamsDto, NewTeamDto, TeamIdDto, UpdateTeamDto } from './team.dto';
import { TeamsService } from './teams.service';

/** LiteLLM's team management routes. Admin routes need the master key (the guard's default). */
@ApiTags('teams')
@ApiBearerAuth()
@Controller('team')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Post('new')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a team (team_id generated when absent)' })
  async create(@Body() dto: NewTeamDto): Promise<unknown> {
    return teamToApi(await this.teams.create(dto));
  }

  @Post('update')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change a team; takes effect immediately on every instance' })
  async update(@Body() dto: UpdateTeamDto): Promise<unknown> {
    const { team_id, ...fields } = dto;
    const team = await this.teams.update(team_id, fields);
    return { team_id, data: teamToApi(team) };
  }

  @Post('delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete teams that have no keys left' })
  async delete(@Body() dto: DeleteTeamsDto): Promise<unknown> {
    return { deleted_teams: await this.teams.delete(dto.team_ids) };
  }

  @Post('block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block a team: every key in it is refused' })
  async block(@Body() dto: TeamIdDto): Promise<unknown> {
    return teamToApi(await this.teams.update(dto.team_id, { blocked: true }));
  }

  @Post('unblock')
  @HttpCode(200)
  async unblock(@Body() dto: TeamIdDto): Promise<unknown> {
    return teamToApi(await this.teams.update(dto.team_id, { blocked: false }));
  }

  @Get('info')
  @ApiOperation({ summary: 'One team with its spend, budget and reset date' })
  @ApiQuery({ name: 'team_id', required: true })
  async info(@Query('team_id') teamId: string): Promise<unknown> {
    const team = await this.teams.get(teamId ?? '');
    return { team_id: team.teamId, team_info: teamToApi(team) };
  }

  @Get('list')
  @ApiOperation({ summary: 'All teams' })
  async list(): Promise<unknown> {
    return (await this.teams.list()).map((team) => teamToApi(team));
  }
}
