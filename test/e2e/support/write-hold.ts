/**
 * Holds a run's writes to one table of a database at a point of the test's choosing: a statement trigger
 * waits there for an advisory lock the test holds, so that what the run read before is fixed while the test
 * writes elsewhere, with no sleep and no timing.
 */
import pg from 'pg';

/** The trigger that makes every insert into `table` wait for advisory lock `lock` (run it on the database). */
export function holdWritesSql(table: string, lock: number): string {
  return `CREATE FUNCTION hold_${table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(${lock}); RETURN NULL; END $$;
    CREATE TRIGGER hold_${table} AFTER INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION hold_${table}()`;
}

/** The test's side: takes the lock, tells when a write waits on it, and lets the writes go. */
export class WriteHold {
  readonly #client: pg.Client;
  readonly #lock: number;

  private constructor(client: pg.Client, lock: number) {
    this.#client = client;
    this.#lock = lock;
  }

  static async take(url: string, lock: number): Promise<WriteHold> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1)', [lock]);
    return new WriteHold(client, lock);
  }

  /** Resolves once a write waits on the lock. */
  async reached(what: string, timeoutMs = 20_000): Promise<void> {
    for (let waited = 0; ; waited += 50) {
      const { rows } = await this.#client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted", [this.#lock]);
      if (rows[0]!.n > 0) return;
      if (waited > timeoutMs) throw new Error(`${what} never came`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Lets the writes go, and closes the connection. */
  async release(): Promise<void> {
    await this.#client.end();
  }
}
