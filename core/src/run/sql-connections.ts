import { BucardoError, toBucardoError, type Logger, type SqlConnection } from '@bucardo/plugin-sdk';
import type { Registry } from '../plugins/registry.js';
import type { SyncPlan } from './sync-plan.js';

/**
 * The plain connections an applyFailed tap opens (`args.connect`), each through its database's driver
 * (`DatabaseDriver.sql`, a capability: a type without it is refused, naming the database), all closed
 * when the hook call ends, so a tap cannot leave one open across the retry.
 */
export class SqlConnections {
  readonly #opened: SqlConnection[] = [];
  readonly #plan: SyncPlan;
  readonly #registry: Registry;
  readonly #log: Logger;
  readonly #signal: AbortSignal;

  constructor(plan: SyncPlan, registry: Registry, log: Logger, signal: AbortSignal) {
    this.#plan = plan;
    this.#registry = registry;
    this.#log = log;
    this.#signal = signal;
  }

  async connect(name: string): Promise<SqlConnection> {
    const db = this.#plan.databases.find((member) => member.name === name);
    if (!db) {
      const members = this.#plan.databases.map((member) => `"${member.name}"`).join(', ');
      throw new BucardoError('INVALID_ARGUMENT', `No database "${name}" in sync "${this.#plan.name}" to connect to (it has ${members})`, { db: name, sync: this.#plan.name });
    }
    const sql = this.#registry.database(db.spec.type).sql;
    if (!sql) {
      const plugin = this.#registry.ownerOfDatabaseType(db.spec.type);
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${name}" (type ${db.spec.type}${plugin ? `, plugin ${plugin}` : ''}) offers no SQL connection (its driver has no \`sql\`)`, { db: name, sync: this.#plan.name });
    }
    const context = { log: this.#log.child({ db: name }), label: `bucardo ${this.#plan.name} applyFailed`, signal: this.#signal };
    const connection = await sql.connect(db.spec, context).catch((error: unknown) => {
      throw toBucardoError(error, 'CONNECTION_FAILED', { db: name, sync: this.#plan.name });
    });
    this.#opened.push(connection);
    return connection;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.#opened.splice(0).map((connection) => connection.close()));
  }
}
