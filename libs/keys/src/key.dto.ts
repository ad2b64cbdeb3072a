import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoundedDuration, IsStorableName, LimitsDto } from '@tollgate/teams';
import { ArrayNotEmpty, IsArray, IsOptional, IsString, ValidateIf } from 'class-validator';

/** Fields of /key/generate and /key/update, on top of the limits keys share with teams. */
export class KeyFieldsDto extends LimitsDto {
  @ApiPropertyOptional({ example: 'sensit-dev-laptop' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsStorableName()
  key_alias?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsStorableName()
  team_id?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsStorableName()
  user_id?: string | null;

  @ApiPropertyOptional({ example: '90d', description: 'Key lifetime from now; null = never expires' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsBoundedDuration()
  duration?: string | null;
}

export class UpdateKeyDto extends KeyFieldsDto {
  @ApiProperty({ description: 'The raw key or its token (hash)' })
  @IsString()
  key!: string;
}

export class KeyRefDto {
  @ApiProperty({ description: 'The raw key or its token (hash)' })
  @IsString()
  key!: string;
}

export class DeleteKeysDto {
  @ApiPropertyOptional({ type: [String], description: 'Raw keys or tokens' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  keys?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  key_aliases?: string[];
}
