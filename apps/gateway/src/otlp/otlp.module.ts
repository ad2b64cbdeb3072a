import { Module } from '@nestjs/common';
import { TeamsModule } from '@tollgate/teams';

import { OtlpController } from './otlp.controller';
import { SubscriptionTelemetryService } from './subscription-telemetry.service';

/** Attribution for subscription tools (Claude Code, Codex) from their OpenTelemetry exports. */
@Module({
  imports: [TeamsModule],
  controllers: [OtlpController],
  providers: [SubscriptionTelemetryService],
})
export class OtlpModule {}
