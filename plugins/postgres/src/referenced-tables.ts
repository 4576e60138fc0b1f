import type pg from 'pg';
import { dependencyOrder, type TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { arrayLiteral } from './key-sql.js';
import { leafForeignKeys, pointedAt, selfAndAncestors } from './leaf-foreign-keys.js';

/**
 * Per session, which tables a foreign key on this database points at. Written by DELETE and COPY, such a
 * table fails (`NO ACTION`, `RESTRICT`: the children still point at the deleted row) or loses the children
 * of every updated row (`ON DELETE CASCADE`), so these tables are written in place, and the keys they lose
 * are deleted once every table of the transaction is written, children first (`DeferredDeletes`). A
 * session writing as a replica (`session_replication_role`) fires no foreign key: nothing is referenced.
 */
export class ReferencedTables {
  #replica: boolean | undefined;
  readonly #known = new Map<string, boolean>();

  /** Forgets what it found: asked again, each table is looked up again. */
  forget(): void {
    this.#known.clear();
  }

  async has(client: pg.Client, shape: TableShape): Promise<boolean> {
    this.#replica ??= (await client.query<{ role: string }>("SELECT pg_catalog.current_setting('session_replication_role') AS role")).rows[0]?.role === 'replica';
    if (this.#replica) return false;
    const id = qualified(shape.table);
    let referenced = this.#known.get(id);
    if (referenced === undefined) {
      const result = await client.query<{ referenced: string }>(
        `SELECT ${pointedAt('$1::regclass::oid')} AS referenced`, [id]);
      referenced = result.rows[0]?.referenced === 't';
      this.#known.set(id, referenced);
    }
    return referenced;
  }

  /** What `has` found for the table, without asking (false when it was never asked, or for a replica). */
  known(shape: TableShape): boolean {
    return this.#replica !== true && this.#known.get(qualified(shape.table)) === true;
  }

  /** `shapes` in an order where a table comes before every table it points at (`dependencyOrder`). */
  async deleteOrder(client: pg.Client, shapes: readonly TableShape[]): Promise<TableShape[]> {
    if (shapes.length < 2) return [...shapes];
    const names = shapes.map((shape) => qualified(shape.table));
    const { rows: [found] } = await client.query<{ oids: string; edges: string }>(
      `WITH asked AS (SELECT t::oid AS oid, n FROM pg_catalog.unnest($1::regclass[]) WITH ORDINALITY AS u(t, n)),
            near AS (SELECT s FROM asked CROSS JOIN LATERAL ${selfAndAncestors('asked.oid')} AS a(s))
       SELECT (SELECT pg_catalog.array_agg(oid ORDER BY n) FROM asked) AS oids,
        (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(f.conrelid, f.confrelid)), '[]') FROM ${leafForeignKeys('f.conrelid IN (SELECT s FROM near)')} AS f
          WHERE f.conrelid IN (SELECT oid FROM asked) AND f.confrelid IN (SELECT oid FROM asked) AND f.conrelid <> f.confrelid) AS edges`,
      [arrayLiteral(names)]);
    const oids = found!.oids.replace(/^\{|\}$/g, '').split(',');
    const index = new Map(oids.map((oid, i) => [oid, i]));
    // a table's rows go after those of every table pointing at it: each waits for its children
    const waitsFor = shapes.map(() => new Set<number>());
    for (const [child, parent] of JSON.parse(found!.edges) as Array<[number, number]>) {
      const c = index.get(String(child));
      const p = index.get(String(parent));
      if (c !== undefined && p !== undefined) waitsFor[p]!.add(c);
    }
    return dependencyOrder(waitsFor).map((i) => shapes[i]!);
  }
}
