/**
 * Shared set-up for the multi-master end-to-end tests: one control database per test file, and per test a
 * fresh set of databases (each a real database on the fixture server) with the same tables, registered
 * under test-specific names (`<tag>_A`, `<tag>_B`, …), put in a herd, a dbgroup and a sync.
 * Everything goes through the public API (`Bucardo`); nothing is mocked.
 */
import { Bucardo, type BucardoOptions } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import type { BucardoPlugin, RunReport } from '@bucardo/plugin-sdk';
import { expect } from 'vitest';
import type { PgServer } from '../../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../../src/helpers/databases.js';
import { controlOn } from '../../src/helpers/connection-specs.js';

export type Role = 'source' | 'target';

export interface SyncSetup {
  /** Short and unique within the file: prefixes the control names (`<tag>_A`, herd `<tag>_h`, sync `<tag>_s`). */
  readonly tag: string;
  /** Logical database (A, B, …) → role, in dbgroup order. */
  readonly roles: Readonly<Record<string, Role>>;
  /** Run on every database before capture is installed: the tables, and rows every database starts with. */
  readonly schema: string;
  /** Tables for the herd, as `bucardo add table` takes them. */
  readonly tables: readonly string[];
  /** Additive columns for every table of `tables` (`addTables(…, { additive })`); none by default. */
  readonly additive?: readonly string[];
  /** Extra plugins for the Bucardo instance that runs this sync (a fresh instance is opened when given). */
  readonly plugins?: readonly BucardoPlugin[];
  /** How that instance cuts and applies runs (`batchSize`, `partitionSize`, `refreshAbove`; a fresh instance is opened when given). */
  readonly runSizes?: Pick<BucardoOptions, 'batchSize' | 'partitionSize' | 'refreshAbove'>;
  /** The sync's `conflict=` setting, in logical names (`"C A B"` becomes the registered names); default latest. */
  readonly conflict?: string;
}

export interface SyncWorld {
  readonly sync: string;
  readonly bucardo: Bucardo;
  /** Logical name (A, B, …) → connection URL. */
  readonly url: Readonly<Record<string, string>>;
  /** Logical name (A, B, …) → the physical database name. */
  readonly dbname: Readonly<Record<string, string>>;
  /** Logical name (A, B, …) → the name registered in the control database. */
  readonly registered: Readonly<Record<string, string>>;
  /** Every URL, in dbgroup order. */
  readonly urls: readonly string[];
  readonly names: readonly string[];
  /** Runs one statement (or a script without parameters) on a logical database. */
  sql(db: string, text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  run(): Promise<RunReport>;
}

/** One control database for a test file, the databases made for it, and the Bucardo instances opened. */
export class Harness {
  readonly server: PgServer;
  readonly control: string;
  readonly #databases: string[] = [];
  readonly #instances: Bucardo[] = [];
  #main: Bucardo | undefined;

  constructor(server: PgServer, prefix: string) {
    this.server = server;
    this.control = uniqueName(`${prefix}_ctl`);
  }

  /** Opens a Bucardo on the control database with `plugins` and the standard plugins they do not replace (by name), as the CLI does. */
  async open(plugins: readonly BucardoPlugin[] = [], runSizes: SyncSetup['runSizes'] = {}): Promise<Bucardo> {
    const given = new Set(plugins.map((plugin) => plugin.name));
    const bucardo = await Bucardo.open({
      ...runSizes,
      plugins: [...plugins, ...standardPlugins().filter((plugin) => !given.has(plugin.name))],
      control: controlOn(this.server, this.control),
      logLevel: 'warn',
    });
    this.#instances.push(bucardo);
    return bucardo;
  }

  /** The standard instance (installs the control schema the first time). */
  async main(): Promise<Bucardo> {
    if (!this.#main) {
      this.#main = await this.open();
      await this.#main.install();
    }
    return this.#main;
  }

  /** Makes a database (dropped by `dispose`), optionally as a copy of `template`. */
  async createDatabase(prefix: string, options: { template?: string } = {}): Promise<{ name: string; url: string }> {
    const name = uniqueName(prefix);
    this.#databases.push(name);
    return { name, url: await createDatabase(this.server, name, options) };
  }

  /** Connection parameters for `addDatabase` of a physical database on the fixture server. */
  params(dbname: string): Record<string, string> {
    return { dbname, host: this.server.host, port: String(this.server.port), user: this.server.user, pass: this.server.password };
  }

  /** Makes the databases, registers them, adds the tables to a herd and the sync (autokick off). */
  async setup(setup: SyncSetup): Promise<SyncWorld> {
    const main = await this.main();
    const bucardo = setup.plugins?.length || setup.runSizes ? await this.open(setup.plugins, setup.runSizes) : main;
    const names = Object.keys(setup.roles);
    const url: Record<string, string> = {};
    const dbname: Record<string, string> = {};
    const registered: Record<string, string> = {};
    await Promise.all(names.map(async (logical) => {
      const made = await this.createDatabase(`${setup.tag}_${logical}`);
      url[logical] = made.url;
      dbname[logical] = made.name;
      await withClient(made.url, (c) => c.query(setup.schema));
    }));
    for (const logical of names) {
      registered[logical] = `${setup.tag}_${logical}`;
      await main.addDatabase(registered[logical]!, this.params(dbname[logical]!));
    }
    const firstSource = names.find((logical) => setup.roles[logical] === 'source')!;
    await main.addTables(setup.tables, { herd: `${setup.tag}_h`, db: registered[firstSource]!, ...(setup.additive ? { additive: setup.additive } : {}) });
    await main.addDbGroup(`${setup.tag}_g`, names.map((logical) => `${registered[logical]}:${setup.roles[logical]}`));
    const sync = `${setup.tag}_s`;
    const conflict = setup.conflict?.split(/\s+/).map((word) => registered[word] ?? word).join(' ');
    await main.addSync(sync, { herd: `${setup.tag}_h`, dbs: `${setup.tag}_g`, autokick: 'false', ...(conflict ? { conflict } : {}) });
    return {
      sync, bucardo, url, dbname, registered, names,
      urls: names.map((logical) => url[logical]!),
      sql: async (db, text, params) => (await withClient(url[db]!, (c) => c.query(text, params))).rows,
      run: () => bucardo.runSync(sync),
    };
  }

  /** Closes every instance and drops every database made, the control database last. */
  async dispose(): Promise<void> {
    for (const bucardo of this.#instances) await bucardo.close().catch(() => undefined);
    for (const name of this.#databases) await dropDatabase(this.server, name);
    await dropDatabase(this.server, this.control);
  }
}

/** The rows of a table as text (`t::text`), in the given order: readable in a diff, exact for every type. */
export async function tableText(url: string, table: string, orderBy: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query<{ r: string }>(`SELECT x::text AS r FROM ${table} AS x ORDER BY ${orderBy}`)).rows.map((row) => row.r));
}

/** Asserts that every database of the world holds exactly `expected` (rows as `t::text`, in `orderBy` order). */
export async function expectEverywhere(world: SyncWorld, table: string, orderBy: string, expected: readonly string[]): Promise<void> {
  for (const db of world.names) {
    expect(await tableText(world.url[db]!, table, orderBy), `${table} on ${db}`).toEqual(expected);
  }
}

/** Asserts a run's outcome, printing its error when it differs. */
export function expectOutcome(report: RunReport, outcome: RunReport['outcome']): void {
  expect(report.outcome, `run ${report.runId}: ${JSON.stringify(report.error ?? null)}`).toBe(outcome);
}
