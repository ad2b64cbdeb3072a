/** Why an OTLP export is refused as a whole; mapped to HTTP statuses in common/error-descriptor.ts. */
export enum OtlpErrorCode {
  UNDECODABLE = 'otlp_undecodable',
  UNSUPPORTED_MEDIA_TYPE = 'otlp_unsupported_media_type',
  FOREIGN_CLIENT = 'otlp_foreign_client',
}

export class OtlpError extends Error {
  constructor(
    readonly code: OtlpErrorCode,
    message: string,
  ) {
    super(message);
  }
}
