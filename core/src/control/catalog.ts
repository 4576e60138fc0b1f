import type pg from 'pg';
import { BucardoError, formatTable, type TableRef } from '@bucardo/plugin-sdk';
import { CustomColsStore } from './custom-cols-store.js';
import { CustomNameStore } from './custom-name-store.js';
import type { DatabaseRow, DbGroupMember, DbGroupRow, HerdRow, RelationKind, RelationRow, SyncRow } from './catalog-rows.js';

type Queryable = Pick<pg.Client, 'query'>;

/**
 * A new request for a copy: the id of the transaction that makes it, which no later transaction repeats,
 * even for a sync removed and added again under the same name (`bucardo.sync.copy_request`).
 */
const NEW_COPY_REQUEST = 'txid_current()';

/** The control database's catalog: what `bucardo add|list` reads and writes. */
export class Catalog {
  readonly #db: Queryable;
  /** Tables written under another name on receiving databases (`bucardo add customname`). */
  readonly customNames: CustomNameStore;
  /** Custom select lists for receiving databases (`bucardo add customcols`). */
  readonly customCols: CustomColsStore;

  constructor(db: Queryable) {
    this.#db = db;
    this.customNames = new CustomNameStore(db);
    this.customCols = new CustomColsStore(db);
  }

  // ----- databases -----

  async insertDatabase(row: DatabaseRow): Promise<void> {
    await this.#insert('database', row.name, 'INSERT INTO bucardo.db (name, type, params, status, makedelta) VALUES ($1, $2, $3, $4, $5)', [row.name, row.type, JSON.stringify(row.params), row.status, row.makedelta === true]);
  }

  /** Stores `row` only if the database is still as `previous` (another `update db` may have come between): whether it did. */
  async updateDatabase(row: DatabaseRow, previous: DatabaseRow): Promise<boolean> {
    const result = await this.#db.query(
      'UPDATE bucardo.db SET params = $2, status = $3, makedelta = $6 WHERE name = $1 AND params = $4::jsonb AND status = $5 AND makedelta = $7',
      [row.name, JSON.stringify(row.params), row.status, JSON.stringify(previous.params), previous.status, row.makedelta === true, previous.makedelta === true],
    );
    return result.rowCount === 1;
  }

  async databases(): Promise<DatabaseRow[]> {
    const result = await this.#db.query<{ name: string; type: string; params: Record<string, string>; status: DatabaseRow['status']; makedelta: boolean }>(
      'SELECT name, type, params, status, makedelta FROM bucardo.db ORDER BY name',
    );
    return result.rows.map((row) => ({ name: row.name, type: row.type, params: row.params, status: row.status, ...(row.makedelta ? { makedelta: true } : {}) }));
  }

  async database(name: string): Promise<DatabaseRow> {
    const found = (await this.databases()).find((row) => row.name === name);
    if (!found) throw new BucardoError('DB_NOT_FOUND', `There is no database named "${name}"`, { db: name });
    return found;
  }

  // ----- tables -----

  /** Adds tables not yet known; returns the ids of every requested table, new or not, in order. */
  async upsertRelations(rows: readonly Omit<RelationRow, 'id' | 'herds' | 'syncs' | 'additive' | 'makedelta'>[]): Promise<{ ids: number[]; added: number[] }> {
    // `kind` decides reltype; a sequence has no key.
    const ids: number[] = [];
    const added: number[] = [];
    for (const row of rows) {
      const inserted = await this.#db.query<{ id: number }>(
        `INSERT INTO bucardo.relation (schemaname, tablename, db, key_columns, key_types, key_source, reltype)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (schemaname, tablename) DO NOTHING RETURNING id`,
        [row.table.schema, row.table.name, row.db, row.keyColumns, row.keyTypes, row.keySource, row.kind],
      );
      if (inserted.rows[0]) {
        ids.push(inserted.rows[0].id);
        added.push(inserted.rows[0].id);
      } else {
        const existing = await this.#db.query<{ id: number }>('SELECT id FROM bucardo.relation WHERE schemaname = $1 AND tablename = $2', [row.table.schema, row.table.name]);
        ids.push(existing.rows[0]!.id);
      }
    }
    return { ids, added };
  }

  async relations(): Promise<RelationRow[]> {
    const result = await this.#db.query<{ id: number; schemaname: string; tablename: string; reltype: RelationKind; db: string; key_columns: string[]; key_types: string[]; key_source: string; additive_columns: string[]; makedelta: string | null; herds: string[]; syncs: string[] }>(
      `SELECT r.id, r.schemaname, r.tablename, r.reltype, r.db, r.key_columns, r.key_types, r.key_source, r.additive_columns, r.makedelta,
              coalesce(array_agg(DISTINCT hm.herd) FILTER (WHERE hm.herd IS NOT NULL), '{}') AS herds,
              coalesce(array_agg(DISTINCT s.name) FILTER (WHERE s.name IS NOT NULL), '{}') AS syncs
         FROM bucardo.relation r
         LEFT JOIN bucardo.herd_member hm ON hm.relation = r.id
         LEFT JOIN bucardo.sync s ON s.herd = hm.herd
        GROUP BY r.id ORDER BY r.id`,
    );
    return result.rows.map((row) => ({
      id: row.id, table: { schema: row.schemaname, name: row.tablename }, kind: row.reltype, db: row.db ?? '(removed)',
      keyColumns: row.key_columns, keyTypes: row.key_types, keySource: row.key_source, additive: row.additive_columns, makedelta: row.makedelta, herds: row.herds, syncs: row.syncs,
    }));
  }

  /** A table's makedelta (`on`, `off`, databases comma-separated), or null to take each database's. */
  async setMakeDelta(relationId: number, makedelta: string | null): Promise<void> {
    await this.#db.query('UPDATE bucardo.relation SET makedelta = $2 WHERE id = $1', [relationId, makedelta]);
  }

  async setAdditive(relationId: number, columns: readonly string[]): Promise<void> {
    await this.#db.query('UPDATE bucardo.relation SET additive_columns = $2 WHERE id = $1', [relationId, columns]);
  }

  async deleteRelations(ids: readonly number[]): Promise<void> {
    await this.#db.query('DELETE FROM bucardo.relation WHERE id = ANY($1::int[])', [ids]);
  }

  // ----- herds (relgroups) -----

  /** Creates the herd when missing; returns whether it was created. */
  async ensureHerd(name: string): Promise<boolean> {
    const result = await this.#db.query('INSERT INTO bucardo.herd (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    return result.rowCount === 1;
  }

  async insertHerd(name: string): Promise<void> {
    await this.#insert('herd', name, 'INSERT INTO bucardo.herd (name) VALUES ($1)', [name]);
  }

  /** Appends tables to a herd (in the given order, after its current members); returns those not already in it. */
  async addHerdMembers(herd: string, relationIds: readonly number[]): Promise<number[]> {
    const added: number[] = [];
    for (const id of relationIds) {
      const result = await this.#db.query(
        `INSERT INTO bucardo.herd_member (herd, relation, position)
         SELECT $1, $2, coalesce(max(position), 0) + 1 FROM bucardo.herd_member WHERE herd = $1
         ON CONFLICT (herd, relation) DO NOTHING`,
        [herd, id],
      );
      if (result.rowCount === 1) added.push(id);
    }
    return added;
  }

  /** Deletes a herd and its memberships (the tables stay recorded); whether it was there. */
  async removeHerd(name: string): Promise<boolean> {
    return ((await this.#db.query('DELETE FROM bucardo.herd WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  /** Deletes a dbgroup and its memberships (the databases stay recorded); whether it was there. */
  async removeDbGroup(name: string): Promise<boolean> {
    return ((await this.#db.query('DELETE FROM bucardo.dbgroup WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  async removeHerdMembers(herd: string, relationIds: readonly number[]): Promise<number> {
    const result = await this.#db.query('DELETE FROM bucardo.herd_member WHERE herd = $1 AND relation = ANY($2::int[])', [herd, relationIds]);
    return result.rowCount ?? 0;
  }

  /** Every herd, or only the one named. */
  async herds(only?: string): Promise<HerdRow[]> {
    const result = await this.#db.query<{ name: string; schemas: string[] | null; tables: string[] | null; kinds: RelationKind[] | null; syncs: string[] }>(
      `SELECT h.name,
              (SELECT array_agg(r.schemaname ORDER BY hm.position) FROM bucardo.herd_member hm JOIN bucardo.relation r ON r.id = hm.relation WHERE hm.herd = h.name) AS schemas,
              (SELECT array_agg(r.tablename ORDER BY hm.position) FROM bucardo.herd_member hm JOIN bucardo.relation r ON r.id = hm.relation WHERE hm.herd = h.name) AS tables,
              (SELECT array_agg(r.reltype ORDER BY hm.position) FROM bucardo.herd_member hm JOIN bucardo.relation r ON r.id = hm.relation WHERE hm.herd = h.name) AS kinds,
              coalesce((SELECT array_agg(s.name ORDER BY s.name) FROM bucardo.sync s WHERE s.herd = h.name), '{}') AS syncs
         FROM bucardo.herd h WHERE $1::text IS NULL OR h.name = $1 ORDER BY h.name`,
      [only ?? null],
    );
    return result.rows.map((row) => ({
      name: row.name,
      members: (row.tables ?? []).map((name, index) => ({ schema: row.schemas![index]!, name })),
      tables: (row.tables ?? []).flatMap((name, index) => (row.kinds![index] === 'sequence' ? [] : [{ schema: row.schemas![index]!, name }])),
      sequences: (row.tables ?? []).flatMap((name, index) => (row.kinds![index] === 'sequence' ? [{ schema: row.schemas![index]!, name }] : [])),
      syncs: row.syncs,
    }));
  }

  async herd(name: string): Promise<HerdRow> {
    const [found] = await this.herds(name);
    if (!found) throw new BucardoError('HERD_NOT_FOUND', `There is no herd (relgroup) named "${name}"`, { herd: name });
    return found;
  }

  // ----- dbgroups -----

  async insertDbGroup(name: string, members: readonly DbGroupMember[]): Promise<void> {
    await this.#insert('dbgroup', name, 'INSERT INTO bucardo.dbgroup (name) VALUES ($1)', [name]);
    for (const [index, member] of members.entries()) {
      await this.#db.query('INSERT INTO bucardo.dbgroup_member (dbgroup, db, role, position) VALUES ($1, $2, $3, $4)', [name, member.db, member.role, index + 1]);
    }
  }

  async dbgroups(): Promise<DbGroupRow[]> {
    const result = await this.#db.query<{ name: string; dbs: string[] | null; roles: DbGroupMember['role'][] | null; syncs: string[] }>(
      `SELECT g.name,
              (SELECT array_agg(m.db ORDER BY m.position) FROM bucardo.dbgroup_member m WHERE m.dbgroup = g.name) AS dbs,
              (SELECT array_agg(m.role ORDER BY m.position) FROM bucardo.dbgroup_member m WHERE m.dbgroup = g.name) AS roles,
              coalesce((SELECT array_agg(s.name ORDER BY s.name) FROM bucardo.sync s WHERE s.dbgroup = g.name), '{}') AS syncs
         FROM bucardo.dbgroup g ORDER BY g.name`,
    );
    return result.rows.map((row) => ({
      name: row.name,
      members: (row.dbs ?? []).map((db, index) => ({ db, role: row.roles![index]! })),
      syncs: row.syncs,
    }));
  }

  /**
   * In a transaction: holds dbgroup `name` until it ends, so that two `update dbgroup` commands change it one
   * after the other (the second checks what the first made). Runs and `add sync` read it meanwhile.
   */
  async lockDbGroup(name: string, mode: 'update' | 'share' = 'update'): Promise<void> {
    // `share` (add sync, reading it): waits for an update under way, and holds the next one off
    const found = await this.#db.query(`SELECT 1 FROM bucardo.dbgroup WHERE name = $1 ${mode === 'share' ? 'FOR SHARE' : 'FOR NO KEY UPDATE'}`, [name]);
    if (found.rowCount === 0) throw new BucardoError('DBGROUP_NOT_FOUND', `There is no dbgroup named "${name}"`, { dbgroup: name });
  }

  /** Sets the members of dbgroup `name` (in this order), and renames it to `newName` with its syncs when given. */
  async replaceDbGroup(name: string, members: readonly DbGroupMember[], newName?: string): Promise<void> {
    const to = newName ?? name;
    if (to !== name) {
      await this.#insert('dbgroup', to, 'INSERT INTO bucardo.dbgroup (name, created) SELECT $1, created FROM bucardo.dbgroup WHERE name = $2', [to, name]);
      await this.#db.query('UPDATE bucardo.sync SET dbgroup = $1 WHERE dbgroup = $2', [to, name]);
    }
    await this.#db.query('DELETE FROM bucardo.dbgroup_member WHERE dbgroup = $1', [name]);
    if (to !== name) await this.#db.query('DELETE FROM bucardo.dbgroup WHERE name = $1', [name]);
    for (const [index, member] of members.entries()) {
      await this.#db.query('INSERT INTO bucardo.dbgroup_member (dbgroup, db, role, position) VALUES ($1, $2, $3, $4)', [to, member.db, member.role, index + 1]);
    }
    // a daemon running these syncs wakes now rather than at its next poll (sent at the commit)
    await this.#db.query("SELECT pg_notify('bucardo_control', 'update ' || name) FROM bucardo.sync WHERE dbgroup = $1", [to]);
  }

  async dbgroup(name: string): Promise<DbGroupRow> {
    const found = (await this.dbgroups()).find((row) => row.name === name);
    if (!found) throw new BucardoError('DBGROUP_NOT_FOUND', `There is no dbgroup named "${name}"`, { dbgroup: name });
    return found;
  }

  // ----- syncs -----

  async insertSync(row: SyncRow): Promise<void> {
    await this.#insert('sync', row.name,
      `INSERT INTO bucardo.sync (name, herd, dbgroup, status, autokick, checktime, onetimecopy, conflict_strategy, refresh_above, copy_request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${NEW_COPY_REQUEST})`,
      [row.name, row.herd, row.dbgroup, row.status, row.autokick, row.checktime, row.onetimecopy, row.conflictStrategy, row.refreshAbove ?? null]);
  }

  async syncs(): Promise<SyncRow[]> {
    const result = await this.#db.query<{ name: string; herd: string; dbgroup: string; status: SyncRow['status']; autokick: boolean; checktime: string | null; checktime_seconds: number | null; onetimecopy: number; copy_request: string; copy_targets: string[] | null; conflict_strategy: string; refresh_above: number | null }>(
      `SELECT name, herd, dbgroup, status, autokick, checktime::text AS checktime, extract(epoch FROM checktime)::float8 AS checktime_seconds,
              onetimecopy, copy_request::text AS copy_request, copy_targets, conflict_strategy, refresh_above FROM bucardo.sync ORDER BY name`,
    );
    return result.rows.map((row) => ({
      name: row.name, herd: row.herd, dbgroup: row.dbgroup, status: row.status, autokick: row.autokick,
      checktime: row.checktime, checktimeSeconds: row.checktime_seconds, onetimecopy: row.onetimecopy, copyRequest: row.copy_request,
      ...(row.copy_targets === null ? {} : { copyTargets: row.copy_targets }),
      conflictStrategy: row.conflict_strategy, refreshAbove: row.refresh_above,
    }));
  }

  async sync(name: string): Promise<SyncRow> {
    const found = (await this.syncs()).find((row) => row.name === name);
    if (!found) throw new BucardoError('SYNC_NOT_FOUND', `There is no sync named "${name}"`, { sync: name });
    return found;
  }

  /**
   * `newCopy`: onetimecopy was given, which asks for a copy of its own (a new request). Otherwise onetimecopy
   * is left as the database has it: the row was read before, and a run may have finished its copy since.
   * A new copy goes to `row.copyTargets` (absent: every target).
   */
  async updateSync(row: SyncRow, newCopy: boolean): Promise<void> {
    await this.#db.query(
      `UPDATE bucardo.sync SET autokick = $2, checktime = $3, conflict_strategy = $4, status = $5, refresh_above = $7,
              onetimecopy = CASE WHEN $8 THEN $6 ELSE onetimecopy END,
              copy_request = CASE WHEN $8 THEN ${NEW_COPY_REQUEST} ELSE copy_request END,
              copy_targets = CASE WHEN $8 THEN $9::text[] ELSE copy_targets END
        WHERE name = $1`,
      [row.name, row.autokick, row.checktime, row.conflictStrategy, row.status, row.onetimecopy, row.refreshAbove ?? null, newCopy, row.copyTargets ?? null],
    );
    await this.#db.query("SELECT pg_notify('bucardo_control', $1)", [`update ${row.name}`]);
  }

  /**
   * Forgets where an initial copy of the sync stood: a new onetimecopy setting asks for a copy of its own,
   * and an abandoned copy's progress (its targets, tables marked done) belongs to the setting it ran under.
   */
  async discardCopyProgress(sync: string): Promise<void> {
    await this.#db.query('DELETE FROM bucardo.copy_progress WHERE sync = $1', [sync]);
  }

  async deleteSync(name: string): Promise<void> {
    await this.#db.query('DELETE FROM bucardo.sync WHERE name = $1', [name]);
    // its runs stay in the history; nothing of them is to be resumed by a sync added later under the name
    await this.#db.query('UPDATE bucardo.syncrun SET resume = NULL WHERE sync = $1 AND resume IS NOT NULL', [name]);
    await this.#db.query("SELECT pg_notify('bucardo_control', $1)", [`remove ${name}`]);
  }

  async deleteDatabase(name: string): Promise<void> {
    await this.#db.query('DELETE FROM bucardo.dbgroup_member WHERE db = $1', [name]);
    await this.#db.query('DELETE FROM bucardo.checkpoint WHERE db = $1', [name]);
    await this.#db.query('DELETE FROM bucardo.db WHERE name = $1', [name]);
  }

  async setSyncStatus(name: string, status: SyncRow['status']): Promise<void> {
    const result = await this.#db.query('UPDATE bucardo.sync SET status = $2 WHERE name = $1', [name, status]);
    if (result.rowCount === 0) throw new BucardoError('SYNC_NOT_FOUND', `There is no sync named "${name}"`, { sync: name });
    await this.#db.query("SELECT pg_notify('bucardo_control', $1)", [`status ${name}`]);
  }

  // ----- settings -----

  async settings(): Promise<Map<string, string>> {
    const result = await this.#db.query<{ name: string; setting: string }>('SELECT name, setting FROM bucardo.bucardo_config ORDER BY name');
    return new Map(result.rows.map((row) => [row.name, row.setting]));
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.#db.query(
      'INSERT INTO bucardo.bucardo_config (name, setting) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET setting = EXCLUDED.setting, changed = now()',
      [name, value],
    );
  }

  // ----- checkpoints -----

  async saveCheckpoints(sync: string, checkpoints: ReadonlyMap<string, string>): Promise<void> {
    for (const [db, position] of checkpoints) {
      await this.#db.query(
        `INSERT INTO bucardo.checkpoint (sync, db, position, updated) VALUES ($1, $2, $3, now())
         ON CONFLICT (sync, db) DO UPDATE SET position = EXCLUDED.position, updated = EXCLUDED.updated`,
        [sync, db, position],
      );
    }
  }

  /** Every sync's checkpoints, by sync and then database, in one query. */
  async allCheckpoints(): Promise<Map<string, Map<string, string>>> {
    const result = await this.#db.query<{ sync: string; db: string; position: string }>('SELECT sync, db, position FROM bucardo.checkpoint');
    const bySync = new Map<string, Map<string, string>>();
    for (const row of result.rows) {
      let checkpoints = bySync.get(row.sync);
      if (!checkpoints) bySync.set(row.sync, (checkpoints = new Map()));
      checkpoints.set(row.db, row.position);
    }
    return bySync;
  }

  async checkpoints(sync: string): Promise<Map<string, string>> {
    const result = await this.#db.query<{ db: string; position: string }>('SELECT db, position FROM bucardo.checkpoint WHERE sync = $1', [sync]);
    return new Map(result.rows.map((row) => [row.db, row.position]));
  }

  async #insert(kind: string, name: string, sql: string, values: unknown[]): Promise<void> {
    try {
      await this.#db.query(sql, values);
    } catch (error) {
      const sqlstate = (error as { code?: string }).code;
      if (sqlstate === '23505') throw new BucardoError('DUPLICATE_NAME', `A ${kind} named "${name}" already exists`, { item: name, cause: error });
      if (sqlstate === '23514') throw new BucardoError('INVALID_NAME', `Invalid ${kind} name "${name}": use a letter, then letters, digits or underscores`, { item: name, cause: error });
      throw error;
    }
  }
}

export function describeTables(tables: readonly TableRef[]): string {
  return tables.map(formatTable).join(', ');
}
