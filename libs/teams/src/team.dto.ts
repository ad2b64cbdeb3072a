import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';

import { IsStorableName } from './admin-fields';
import { LimitsDto } from './limits.dto';

/** Fields shared by /team/new and /team/update. */
export class TeamFieldsDto extends LimitsDto {
  @ApiPropertyOptional({ example: 'sensit-dev' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsStorableName()
  team_alias?: string | null;
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
