import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI for the admin API, with Swagger UI at /docs (served from the package: nothing from a CDN). */
export function setUpAdminDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tollgate admin API')
      .setDescription(
        'LiteLLM-compatible admin routes: virtual keys, teams, budgets and the spend ledger. Authenticate with the master key as a Bearer token. Money is in USD; budgets are hard limits enforced before a call is sent upstream.',
      )
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth('tollgate_ui_session', undefined, 'tollgate_ui_session')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
