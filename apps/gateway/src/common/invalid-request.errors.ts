/** The caller's request is malformed; `param` names the offending field (`messages[2].role`). */
export class InvalidRequestError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}
