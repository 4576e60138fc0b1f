/**
 * A throwaway installation for one benchmark scenario: databases on the bench server, a control database,
 * and the Bucardo API in this process with the standard plugins.
 */
import { Bucardo } from '@bucardo/core';
import { resolvePlugins } from '@bucardo/cli';
import { postgres, type PostgresOptions } from '@bucardo/plugin-postgres';
import type { PgServer } from '../fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName } from '../helpers/databases.js';

export class BenchWorld {
  readonly server: PgServer;
  readonly control: string;
  readonly databases: string[] = [];
  readonly #postgresOptions: PostgresOptions | undefined;
  #bucardo: Bucardo | undefined;

  /** `postgresOptions`: the PostgreSQL plugin's options (bucardo.config.ts `postgres({ … })`), if not the defaults. */
  constructor(server: PgServer, tag: string, postgresOptions?: PostgresOptions) {
    this.server = server;
    this.control = uniqueName(`${tag}_ctl`);
    this.#postgresOptions = postgresOptions;
  }

  async database(tag: string, template?: string): Promise<string> {
    const name = uniqueName(tag);
    await createDatabase(this.server, name, template ? { template } : {});
    this.databases.push(name);
    return name;
  }

  url(db: string): string {
    return this.server.url(db);
  }

  async bucardo(): Promise<Bucardo> {
    if (this.#bucardo) return this.#bucardo;
    const { host, port, user, password } = this.server;
    // as a bucardo.config.ts listing postgres({ … }): the standard plugins fill in the rest
    const plugins = await resolvePlugins(this.#postgresOptions === undefined ? [] : [postgres(this.#postgresOptions)], undefined);
    this.#bucardo = await Bucardo.open({ plugins, control: { dbname: this.control, host, port, user, password }, logLevel: process.env.BUCARDO_BENCH_LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
    await this.#bucardo.install();
    return this.#bucardo;
  }

  /** Registers databases as bucardo dbs named by `names[i]`. */
  async addDatabases(names: readonly string[], dbs: readonly string[]): Promise<void> {
    const bucardo = await this.bucardo();
    const { host, port, user, password } = this.server;
    for (const [index, db] of dbs.entries()) {
      await bucardo.addDatabase(names[index]!, { dbname: db, host, port: String(port), user, pass: password });
    }
  }

  /** Closes this process's connections, leaving the databases (to halt the server and use them offline). */
  async disconnect(): Promise<void> {
    await this.#bucardo?.close();
    this.#bucardo = undefined;
  }

  async close(): Promise<void> {
    await this.#bucardo?.close();
    for (const db of [...this.databases, this.control]) await dropDatabase(this.server, db).catch(() => undefined);
  }
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
