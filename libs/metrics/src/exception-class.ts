/**
 * The `exception_class` label LiteLLM gives a failure: the name of the OpenAI-style exception class
 * its status maps to (LiteLLM raises the `openai` SDK's classes, plus its own BudgetExceededError).
 * Tollgate's statuses come from its one error filter, so the class follows from the status.
 */
export function exceptionClassFor(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequestError';
    case 401:
      return 'AuthenticationError';
    case 403:
      return 'PermissionDeniedError';
    case 404:
      return 'NotFoundError';
    case 408:
    case 504:
      return 'Timeout';
    case 409:
      return 'ConflictError';
    case 413:
      return 'RequestTooLargeError';
    case 422:
      return 'UnprocessableEntityError';
    case 429:
      return 'RateLimitError';
    case 499:
      return 'ClientDisconnectedError';
    case 502:
      return 'BadGatewayError';
    case 503:
      return 'ServiceUnavailableError';
    default:
      return status >= 500 ? 'InternalServerError' : 'APIError';
  }
}
