import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Auth, AuthMode } from '@tollgate/keys';
import type { Request, Response } from 'express';

import { UiAuthService } from './ui-auth.service';

export const UI_PUBLIC_DIR = Symbol('UI_PUBLIC_DIR');

/** The dashboard's pages in the order of its navigation; each is the same shell, filled in by its script. */
export const UI_PAGES = ['', 'teams', 'keys', 'logs', 'sessions', 'models'] as const;

/**
 * Serves the dashboard's HTML. Pages hold no data (the scripts fetch it from /ui/api with the
 * session cookie), but a browser without a session is still sent to the login page rather than
 * shown an empty shell.
 */
@ApiExcludeController()
@Auth(AuthMode.Public)
@Controller('ui')
export class UiPagesController {
  constructor(
    private readonly auth: UiAuthService,
    @Inject(UI_PUBLIC_DIR) private readonly publicDir: string,
  ) {}

  @Get([...UI_PAGES])
  async page(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!(await this.auth.sessionOf(request))) {
      const next = request.originalUrl.startsWith('/ui') ? `?next=${encodeURIComponent(request.originalUrl)}` : '';
      response.redirect(302, `/ui/login${next}`);
      return;
    }
    this.sendPage(response, 'index.html');
  }

  @Get('login')
  async login(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (await this.auth.sessionOf(request)) {
      response.redirect(302, '/ui');
      return;
    }
    this.sendPage(response, 'login.html');
  }

  private sendPage(response: Response, file: string): void {
    // cacheControl: false keeps the `no-store` the /ui middleware set.
    response.type('html').sendFile(file, { root: this.publicDir, cacheControl: false, dotfiles: 'deny' });
  }
}
