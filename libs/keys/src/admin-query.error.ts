/** A malformed admin query parameter (400), named so the caller can fix it. */
export class InvalidAdminQueryError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
    this.name = 'InvalidAdminQueryError';
  }
}
