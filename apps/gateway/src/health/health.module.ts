import { Module } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';

import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/** `/health*` for CI and orchestrators; HealthService is shared with the dashboard's Models page. */
@Module({
  imports: [KeysModule],
  controllers: [HealthController],
  providers: [HealthService],
  exports: [HealthService],
})
export class HealthModule {}
