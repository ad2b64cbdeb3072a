import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, AuthMode, callerOf } from '@tollgate/keys';
import type { Request, Response } from 'express';

import { OtlpError, OtlpErrorCode } from './otlp.errors';
import { contentTypeOf, decodeExportRequest, encodeExportResponse, encodingOf, type OtlpSignal } from './otlp-codec';
import { SubscriptionTelemetryService } from './subscription-telemetry.service';

/**
 * OTLP/HTTP receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp) for the telemetry of
 * subscription tools that bypass the gateway. The virtual key in Authorization says who reports.
 */
@ApiTags('subscription telemetry')
@ApiBearerAuth()
// No RateLimitGuard: exporters post every few seconds; that is not model traffic, and must not use up the key's rpm_limit.
@Auth(AuthMode.VirtualKey)
@Controller('otlp/v1')
export class OtlpController {
  constructor(private readonly telemetry: SubscriptionTelemetryService) {}

  @Post('logs')
  @HttpCode(200)
  @ApiOperation({ summary: 'OTLP logs export (JSON or protobuf, optionally gzipped): Claude Code and Codex events' })
  async logs(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.receive('logs', request, response);
  }

  @Post('metrics')
  @HttpCode(200)
  @ApiOperation({ summary: 'OTLP metrics export (JSON or protobuf, optionally gzipped): Claude Code session metrics' })
  async metrics(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.receive('metrics', request, response);
  }

  private async receive(signal: OtlpSignal, request: Request, response: Response): Promise<void> {
    const encoding = encodingOf(request.headers['content-type']);
    if (!encoding) {
      throw new OtlpError(OtlpErrorCode.UNSUPPORTED_MEDIA_TYPE, 'OTLP/HTTP bodies are application/json or application/x-protobuf');
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const exported = decodeExportRequest(signal, encoding, body);
    const caller = callerOf(request)!;
    const outcome =
      signal === 'logs' ? await this.telemetry.ingestLogs(caller, exported) : await this.telemetry.ingestMetrics(caller, exported);
    response
      .status(200)
      .type(contentTypeOf(encoding))
      .send(encodeExportResponse(signal, encoding, outcome.rejected, outcome.errorMessage));
  }
}
