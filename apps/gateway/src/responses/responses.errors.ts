export enum ResponsesErrorCode {
  RESPONSE_NOT_FOUND = 'response_not_found',
  PREVIOUS_RESPONSE_NOT_FOUND = 'previous_response_not_found',
}

/**
 * A stored response that is not there for this caller: never created, expired, deleted, stored
 * with `store: false`, or created by another key (which must not learn that it exists).
 */
export class ResponsesError extends Error {
  constructor(
    readonly code: ResponsesErrorCode,
    readonly responseId: string,
  ) {
    super(code === ResponsesErrorCode.PREVIOUS_RESPONSE_NOT_FOUND ? `Previous response with id '${responseId}' not found.` : `No response found with id '${responseId}'.`);
    this.name = 'ResponsesError';
  }
}
