import { Module } from '@nestjs/common';
import { TeamsModule } from '@tollgate/teams';

import { ApiKeysRepository } from './api-keys.repository';
import { AuthThrottle } from './auth-throttle';
import { KeyAuthService } from './key-auth.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { MasterKeyService } from './master-key.service';
import { MasterKeyCheck } from './master-key-check';

@Module({
  imports: [TeamsModule],
  controllers: [KeysController],
  providers: [ApiKeysRepository, KeysService, KeyAuthService, MasterKeyService, AuthThrottle, MasterKeyCheck],
  exports: [ApiKeysRepository, KeysService, KeyAuthService, MasterKeyService, AuthThrottle, MasterKeyCheck],
})
export class KeysModule {}
