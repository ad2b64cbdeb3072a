import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';
import { TeamsModule } from '@tollgate/teams';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { HealthModule } from '../health/health.module';
import { UiAdminController } from './ui-admin.controller';
import { UiAuthController } from './ui-auth.controller';
import { UI_CREDENTIALS, UiAuthService } from './ui-auth.service';
import { UI_PUBLIC_DIR, UiPagesController } from './ui-pages.controller';
import { UiReadController } from './ui-read.controller';
import { UiReportsService } from './ui-reports.service';
import { UiSessionGuard } from './ui-session.guard';
import { UiSessionSecret } from './ui-session-secret';
import { resolvePublicDir, uiAssets, uiSecurityHeaders } from './ui-static';

/**
 * The admin dashboard at /ui: static pages and scripts, plus /ui/api routes that reuse the
 * teams and keys services behind a session cookie of its own (the browser never holds the master key).
 */
@Module({
  imports: [TeamsModule, KeysModule, HealthModule],
  controllers: [UiPagesController, UiAuthController, UiReadController, UiAdminController],
  providers: [
    { provide: UI_PUBLIC_DIR, useFactory: () => resolvePublicDir() },
    { provide: UI_CREDENTIALS, useFactory: (config: GatewayConfig) => config.uiCredentials, inject: [GATEWAY_CONFIG] },
    UiSessionSecret,
    UiAuthService,
    UiSessionGuard,
    UiReportsService,
  ],
})
export class UiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(uiSecurityHeaders).forRoutes('ui', 'ui/*path');
    consumer.apply(uiAssets(resolvePublicDir())).forRoutes('ui/assets/*path');
  }
}
