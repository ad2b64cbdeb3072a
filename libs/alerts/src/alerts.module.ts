import { DynamicModule, Module } from '@nestjs/common';

import { ALERT_SETTINGS, type AlertSettings } from './alert-settings';
import { BudgetAlertMarks } from './budget-alert-marks';
import { BudgetAlerts } from './budget-alerts';
import { DeploymentAlerts } from './deployment-alerts';
import { WebhookDelivery } from './webhook-delivery';

@Module({})
export class AlertsModule {
  static forRoot(settings: AlertSettings): DynamicModule {
    return {
      module: AlertsModule,
      global: true,
      providers: [{ provide: ALERT_SETTINGS, useValue: settings }, WebhookDelivery, BudgetAlertMarks, BudgetAlerts, DeploymentAlerts],
      exports: [BudgetAlerts, WebhookDelivery],
    };
  }
}
