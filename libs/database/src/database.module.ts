import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AccessEpoch } from './access-epoch';
import { GatewaySettings } from './gateway-settings';
import { Sql } from './sql';

/** Exposes the gateway's SQL layer over TypeORM's connection (configured by the app). */
@Global()
@Module({
  providers: [
    { provide: Sql, inject: [DataSource], useFactory: (dataSource: DataSource) => Sql.fromDataSource(dataSource) },
    AccessEpoch,
    GatewaySettings,
  ],
  exports: [Sql, AccessEpoch, GatewaySettings],
})
export class SqlModule {}
