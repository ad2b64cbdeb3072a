import { Global, Module } from '@nestjs/common';
import { SpendLedger } from './spend-ledger';
import { SpendRecorder } from './spend-recorder';
import { SpendInterceptor } from './spend.interceptor';
import { UnsettledRecovery } from './unsettled-recovery';

@Global()
@Module({
  providers: [SpendLedger, SpendRecorder, SpendInterceptor, UnsettledRecovery],
  exports: [SpendLedger, SpendRecorder, SpendInterceptor, UnsettledRecovery],
})
export class SpendModule {}
