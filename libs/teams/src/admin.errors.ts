export enum AdminErrorCode {
  TEAM_NOT_FOUND = 'team_not_found',
  KEY_NOT_FOUND = 'key_not_found',
  TEAM_EXISTS = 'team_exists',
  KEY_ALIAS_EXISTS = 'key_alias_exists',
  TEAM_HAS_KEYS = 'team_has_keys',
}

/** An admin API request that names something missing or conflicting. */
export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

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
