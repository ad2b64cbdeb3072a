import { Module } from '@nestjs/common';
import { OtlpController } from './otlp.controller';
import { SubscriptionTelemetryService } from './subscription-telemetry.service';

/** Attribution for subscription tools (Claude Code, Codex) from their OpenTelemetry exports. */
@Module({
  controllers: [OtlpController],
  providers: [SubscriptionTelemetryService],
})
export class OtlpModule {}
