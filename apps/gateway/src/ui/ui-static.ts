import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { static as serveStatic } from 'express';

/**
 * Where the dashboard's static files are. `nest build` copies `ui/public/**` next to the compiled
 * module (nest-cli.json `assets`), so `<__dirname>/public` works from dist and, under ts-jest,
 * from the source tree alike; the source folder is the fallback for a dist built without assets.
 */
export function resolvePublicDir(moduleDir: string = __dirname): string {
  const candidates = [
    join(moduleDir, 'public'),
    resolve(moduleDir, '..', '..', '..', '..', '..', 'apps', 'gateway', 'src', 'ui', 'public'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`Dashboard files not found; looked in ${candidates.join(', ')}`);
  return found;
}

/**
 * Security headers for every /ui response. The CSP allows only our own files: no inline script,
 * no CDN, nothing framed. (Bars and charts set sizes through the CSSOM and SVG attributes, which
 * `style-src 'self'` permits.)
 */
export function uiSecurityHeaders(request: Request, response: Response, next: NextFunction): void {
  response.setHeader(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('x-frame-options', 'DENY');
  response.setHeader('referrer-policy', 'no-referrer');
  // Pages and API answers carry spend data and, once, a raw key: never keep them in a cache.
  if (!request.originalUrl.startsWith('/ui/assets/')) response.setHeader('cache-control', 'no-store');
  next();
}

/**
 * `/ui/assets/*` from the public folder: scripts and styles only, no data and no secrets, so no
 * session is needed (the login page uses them too). The path is taken from `originalUrl`, so it
 * does not matter how much of it the router mounting this middleware has already stripped.
 */
export function uiAssets(publicDir: string): RequestHandler {
  const serve = serveStatic(join(publicDir, 'assets'), {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    // Revalidated on every load (ETag/Last-Modified), so a new gateway build is picked up at once.
    cacheControl: true,
    maxAge: 0,
  });
  return (request: Request, response: Response, next: NextFunction) => {
    const match = /^\/ui\/assets(\/[^?]*)(\?.*)?$/.exec(request.originalUrl);
    if (!match || (request.method !== 'GET' && request.method !== 'HEAD')) return next();
    const mountedUrl = request.url;
    request.url = match[1];
    serve(request, response, (error?: unknown) => {
      request.url = mountedUrl;
      next(error);
    });
  };
}
