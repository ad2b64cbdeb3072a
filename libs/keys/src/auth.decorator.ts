import { SetMetadata } from '@nestjs/common';

export enum AuthMode {
  /** No credentials needed (health for CI, the model list's names). */
  Public = 'public',
  /** A virtual key or the master key; the caller is attached to the request. */
  VirtualKey = 'virtual_key',
  /** Like Public, but a presented key is resolved (e.g. to filter the model list). */
  OptionalKey = 'optional_key',
  /** The master key. Every route without an @Auth decorator requires it: secure by default. */
  Master = 'master',
}

export const AUTH_MODE = 'tollgate:auth-mode';

export const Auth = (mode: AuthMode) => SetMetadata(AUTH_MODE, mode);
