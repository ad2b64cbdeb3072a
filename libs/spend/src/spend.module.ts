import { Global, Module } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';
import { TeamsModule } from '@tollgate/teams';

import { MasterKeyLedgerLabel } from './master-key-ledger-label';
import { MetricPointsRepository } from './metric-points.repository';
import { SettlementBatcher } from './settlement-batcher';
import { SettlementRetry } from './settlement-retry';
import { SpendController } from './spend.controller';
import { SpendInterceptor } from './spend.interceptor';
import { SpendLedger } from './spend-ledger';
import { SpendLogRepository } from './spend-log.repository';
import { SpendRecorder } from './spend-recorder';
import { SpendReportsService } from './spend-reports.service';
import { SubscriptionLedger } from './subscription-ledger';
import { UnsettledRecovery } from './unsettled-recovery';

@Global()
@Module({
  imports: [KeysModule, TeamsModule],
  controllers: [SpendController],
  providers: [
    SpendLogRepository,
    MetricPointsRepository,
    SpendLedger,
    SettlementRetry,
    SettlementBatcher,
    SpendRecorder,
    SpendInterceptor,
    UnsettledRecovery,
    SpendReportsService,
    SubscriptionLedger,
    MasterKeyLedgerLabel,
  ],
  exports: [
    SpendLogRepository,
    MetricPointsRepository,
    SpendLedger,
    SettlementRetry,
    SettlementBatcher,
    SpendRecorder,
    SpendInterceptor,
    UnsettledRecovery,
    SubscriptionLedger,
    SpendReportsService,
  ],
})
export class SpendModule {}
