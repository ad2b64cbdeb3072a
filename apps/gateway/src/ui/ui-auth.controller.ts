import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, AuthMode } from '@tollgate/keys';
import type { Request, Response } from 'express';

import { InvalidRequestError } from '../common/invalid-request.errors';
import { UiLoginDto } from './ui.dto';
import { UiAuthService } from './ui-auth.service';
import { clearedSessionCookie, sessionCookie, UI_SESSION_COOKIE, UI_SESSION_TTL_MS } from './ui-session';
import { CSRF_HEADER_DOC, UiNoSession, UiSessionGuard, uiSessionOf } from './ui-session.guard';

/** Whether the browser reached us over HTTPS, directly or through a TLS-terminating proxy. */
export function cameOverHttps(request: Request): boolean {
  return request.secure || request.headers['x-forwarded-proto'] === 'https';
}

/**
 * Dashboard login and logout. The master key (or UI_PASSWORD) is posted once, as JSON from the
 * login page's script, and answered with an HttpOnly cookie: it is never put in a URL, a page or
 * browser storage, and the browser never sends it again.
 */
@ApiTags('ui')
@Auth(AuthMode.Public)
@UseGuards(UiSessionGuard)
@Controller('ui/api')
export class UiAuthController {
  constructor(private readonly auth: UiAuthService) {}

  @Get('login')
  @UiNoSession()
  @ApiOperation({ summary: 'How to log in: `master_key`, or `password` when UI_USERNAME and UI_PASSWORD are set' })
  loginMethod(): { method: string } {
    return { method: this.auth.method };
  }

  @Post('login')
  @UiNoSession()
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiOperation({ summary: 'Log in; sets the session cookie (HttpOnly, SameSite=Strict, Path=/ui, 8 h)' })
  async login(@Body() dto: UiLoginDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<unknown> {
    if (this.auth.method === 'password') {
      if (!dto.username) throw new InvalidRequestError('Enter the dashboard username', 'username', 'missing_field');
      if (!dto.password) throw new InvalidRequestError('Enter the dashboard password', 'password', 'missing_field');
    } else if (!dto.master_key) {
      throw new InvalidRequestError('Enter the master key', 'master_key', 'missing_field');
    }
    const outcome = await this.auth.login(dto, request);
    if (!outcome.ok) {
      throw new UnauthorizedException(this.auth.method === 'password' ? 'Wrong username or password' : 'That is not the master key');
    }
    response.setHeader('set-cookie', sessionCookie(outcome.cookieValue, Math.floor(UI_SESSION_TTL_MS / 1000), cameOverHttps(request)));
    return { user: outcome.session.user, expires_at: new Date(outcome.session.expiresAt).toISOString() };
  }

  @Post('logout')
  @UiNoSession()
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiOperation({ summary: 'Log out: clears the session cookie' })
  logout(@Req() request: Request, @Res({ passthrough: true }) response: Response): unknown {
    response.setHeader('set-cookie', clearedSessionCookie(cameOverHttps(request)));
    return { logged_out: true };
  }

  @Post('logout-all')
  @HttpCode(200)
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiCookieAuth(UI_SESSION_COOKIE)
  @ApiOperation({ summary: 'End every dashboard session on every instance (this one too): replaces the signing secret' })
  async logoutAll(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<unknown> {
    await this.auth.endAllSessions();
    response.setHeader('set-cookie', clearedSessionCookie(cameOverHttps(request)));
    return { logged_out_everywhere: true };
  }

  @Get('session')
  @ApiCookieAuth(UI_SESSION_COOKIE)
  @ApiOperation({ summary: 'Who is logged in and until when' })
  session(@Req() request: Request): unknown {
    const session = uiSessionOf(request)!;
    return { user: session.user, expires_at: new Date(session.expiresAt).toISOString(), login_method: this.auth.method };
  }
}
