/**
 * Migrations per driver, listed explicitly (no file globbing) so the compiled build and the
 * tests load exactly the same set, in order.
 */
export const sqliteMigrations: Function[] = [];
export const postgresMigrations: Function[] = [];
