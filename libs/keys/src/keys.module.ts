import { Module } from '@nestjs/common';
import { TeamsModule } from '@tollgate/teams';
import { KeyAuthService } from './key-auth.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { MasterKeyService } from './master-key.service';

@Module({
  imports: [TeamsModule],
  controllers: [KeysController],
  providers: [KeysService, KeyAuthService, MasterKeyService],
  exports: [KeysService, KeyAuthService, MasterKeyService],
})
export class KeysModule {}
