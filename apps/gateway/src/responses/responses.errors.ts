export enum ResponsesErrorCode {
  RESPONSE_NOT_FOUND = 'response_not_found',
  PREVIOUS_RESPONSE_NOT_FOUND = 'previous_response_not_found',
  STORE_UNAVAILABLE = 'response_store_unavailable',
}

/**
 * A stored response that cannot be had. Not found covers never created, expired, deleted, stored
 * with `store: false`, and created by another key (which must not learn that it exists).
 */
export class ResponsesError extends Error {
  constructor(
    readonly code: ResponsesErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ResponsesError';
  }

  static notFound(id: string): ResponsesError {
    return new ResponsesError(ResponsesErrorCode.RESPONSE_NOT_FOUND, `No response found with id '${id}'.`);
  }

  static previousNotFound(id: string): ResponsesError {
    return new ResponsesError(ResponsesErrorCode.PREVIOUS_RESPONSE_NOT_FOUND, `Previous response with id '${id}' not found.`);
  }

  static storeUnavailable(cause: unknown): ResponsesError {
    return new ResponsesError(
      ResponsesErrorCode.STORE_UNAVAILABLE,
      `Response store unavailable (${(cause as Error)?.message ?? String(cause)})`,
    );
  }
}
