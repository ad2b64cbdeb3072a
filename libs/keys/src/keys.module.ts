import { Module } from '@nestjs/common';
import { TeamsModule } from '@tollgate/teams';
import { ApiKeysRepository } from './api-keys.repository';
import { KeyAuthService } from './key-auth.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { AuthThrottle } from './auth-throttle';
import { MasterKeyCheck } from './master-key-check';
import { MasterKeyService } from './master-key.service';

@Module({
  imports: [TeamsModule],
  controllers: [KeysController],
  providers: [ApiKeysRepository, KeysService, KeyAuthService, MasterKeyService, AuthThrottle, MasterKeyCheck],
  exports: [ApiKeysRepository, KeysService, KeyAuthService, MasterKeyService, AuthThrottle, MasterKeyCheck],
})
export class KeysModule {}
