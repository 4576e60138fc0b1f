/**
 * How tests that open `Bucardo` as a library name the shared server: the control database's settings
 * and a database's `add db` parameters, spelt once (ten test files wrote both out).
 */
import type { PgConnectionInfo } from '../fixtures/pg-server.js';

/** The `control` option of `Bucardo.open` for control database `dbname` on `server`. */
export function controlOn(server: PgConnectionInfo, dbname: string) {
  return { dbname, host: server.host, port: server.port, user: server.user, password: server.password };
}

/** The parameters of `addDatabase` (`bucardo add db`) for database `dbname` on `server`. */
export function dbParamsOn(server: PgConnectionInfo, dbname: string) {
  return { dbname, host: server.host, port: String(server.port), user: server.user, pass: server.password };
}
