export * from './admin.errors';
export * from './admin-fields';
export * from './limits.dto';
export * from './team';
export * from './team.dto';
export * from './teams.module';
export * from './teams.repository';
export * from './teams.service';
