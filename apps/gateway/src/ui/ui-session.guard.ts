import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

import { UiAuthService } from './ui-auth.service';
import type { UiSession } from './ui-session';

/** The header every mutating dashboard call must carry (a cross-site form or image cannot set it). */
export const UI_CSRF_HEADER = 'x-requested-with';
export const UI_CSRF_VALUE = 'tollgate-ui';
/** How the header is documented on each mutating route (@ApiHeader). */
export const CSRF_HEADER_DOC = {
  name: UI_CSRF_HEADER,
  required: true,
  description: `Must be "${UI_CSRF_VALUE}" on every call that changes state`,
};

const NO_SESSION_NEEDED = 'tollgate:ui-no-session';
/** Routes reachable before logging in (the login itself); they still need the CSRF header to mutate. */
export const UiNoSession = () => SetMetadata(NO_SESSION_NEEDED, true);

const SESSION = Symbol('uiSession');

export function uiSessionOf(request: object): UiSession | undefined {
  return (request as Record<symbol, UiSession | undefined>)[SESSION];
}

/**
 * Guards every /ui/api route. The global AuthGuard lets these routes through (@Auth(Public)):
 * a browser never holds the master key, so the dashboard's own session cookie is what counts.
 * SameSite=Strict already keeps the cookie off cross-site requests; the custom header is a
 * second, independent CSRF defence for anything that changes state.
 */
@Injectable()
export class UiSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: UiAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && request.headers[UI_CSRF_HEADER] !== UI_CSRF_VALUE) {
      throw new ForbiddenException(`Dashboard requests that change state need the header "${UI_CSRF_HEADER}: ${UI_CSRF_VALUE}"`);
    }
    if (this.reflector.getAllAndOverride<boolean>(NO_SESSION_NEEDED, [context.getHandler(), context.getClass()])) return true;
    const session = await this.auth.sessionOf(request);
    if (!session)
      throw new UnauthorizedException('Log in to the dashboard first (POST /ui/api/login); the session cookie is missing or expired');
    (request as unknown as Record<symbol, UiSession>)[SESSION] = session;
    return true;
  }
}
