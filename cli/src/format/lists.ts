import { formatTable } from '@bucardo/plugin-sdk';
import type { ConflictLogRow, DatabaseListing, DbGroupRow, HerdRow, RelationRow, SyncRow } from '@bucardo/core';
import { displayKey } from '@bucardo/plugin-sdk';

/** What `-v` adds to `list dbs` and `list syncs`, as Bucardo's: where each is used. */
export interface ListDetail {
  readonly groups: readonly DbGroupRow[];
  readonly syncs: readonly SyncRow[];
  readonly herds: readonly HerdRow[];
}

/** `bucardo list dbs -v`: under each database, its dbgroups and the syncs it is in, with its role. */
function databaseDetail(db: string, detail: ListDetail): string {
  const memberships = detail.groups.flatMap((group) => group.members.filter((m) => m.db === db).map((m) => ({ group, role: m.role })));
  return [
    ...memberships.map(({ group, role }) => `  Belongs to dbgroup ${group.name} (${role})\n`),
    ...memberships.flatMap(({ group, role }) => detail.syncs.filter((sync) => sync.dbgroup === group.name).map((sync) => `  Used in sync ${sync.name} in a role of ${role}\n`)),
  ].join('');
}

/** `bucardo list syncs -v`: under each sync, its tables and sequences, in herd order. */
function syncDetail(sync: SyncRow, detail: ListDetail): string {
  const herd = detail.herds.find((h) => h.name === sync.herd);
  if (!herd) return '';
  const sequences = new Set(herd.sequences.map(formatTable));
  return herd.members.map((member) => `  ${sequences.has(formatTable(member)) ? 'Sequence' : 'Table'} ${formatTable(member)}\n`).join('');
}

/** `bucardo list dbs`: `Database: NAME  Status: STATUS  Conn: psql …`, columns aligned; `-v` adds where each is used. */
export function formatDatabases(rows: readonly DatabaseListing[], detail?: ListDetail): string {
  if (rows.length === 0) return 'No databases have been added yet\n';
  const name = Math.max(...rows.map((row) => row.name.length));
  const status = Math.max(...rows.map((row) => row.status.length));
  const showTypes = new Set(rows.map((row) => row.type)).size > 1;
  const type = Math.max(...rows.map((row) => row.type.length));
  return rows.map((row) =>
    `Database: ${row.name.padEnd(name)}  ${showTypes ? `Type: ${row.type.padEnd(type)}  ` : ''}Status: ${row.status.padEnd(status)}  Conn: ${row.connection}${row.makedelta ? ' (makedelta on)' : ''}\n`
    + (detail ? databaseDetail(row.name, detail) : '')).join('');
}

/** `bucardo list tables`: `N. Table: schema.table  DB: NAME  PK: cols (types)  Syncs: a,b`. */
export function formatTables(rows: readonly RelationRow[]): string {
  if (rows.length === 0) return 'No tables have been added yet\n';
  const cells = rows.map((row) => ({
    id: `${row.id}.`, name: formatTable(row.table), db: row.db, pk: row.keyColumns.length ? `${row.keyColumns.join('|')} (${row.keyTypes.join('|')})` : 'none', syncs: row.syncs, additive: row.additive, makedelta: row.makedelta,
  }));
  const width = (pick: (c: (typeof cells)[number]) => string) => Math.max(...cells.map((c) => pick(c).length));
  const [id, name, db, pk] = [width((c) => c.id), width((c) => c.name), width((c) => c.db), width((c) => c.pk)];
  return cells.map((c) =>
    `${c.id.padEnd(id)} Table: ${c.name.padEnd(name)}  DB: ${c.db.padEnd(db)}  PK: ${c.pk.padEnd(pk)}${c.syncs.length ? `  Syncs: ${c.syncs.join(',')}` : ''}${c.additive.length ? `  additive: ${c.additive.join(',')}` : ''}${c.makedelta ? `  (makedelta:${c.makedelta})` : ''}`.trimEnd() + '\n').join('');
}

/** `bucardo list sequences`: `Sequence: schema.name  DB: NAME`. */
export function formatSequences(rows: readonly RelationRow[]): string {
  if (rows.length === 0) return 'There are no sequences.\n';
  const name = Math.max(...rows.map((row) => formatTable(row.table).length));
  return rows.map((row) => `Sequence: ${formatTable(row.table).padEnd(name)}  DB: ${row.db}\n`).join('');
}

/** `bucardo list herds`: `Relgroup: NAME  Members: a, b` and the syncs using it. */
export function formatHerds(rows: readonly HerdRow[]): string {
  if (rows.length === 0) return 'There are no relgroups.\n';
  const name = Math.max(...rows.map((row) => row.name.length));
  return rows.map((row) =>
    `Relgroup: ${row.name.padEnd(name)} ${row.members.length ? ` Members: ${row.members.map(formatTable).join(', ')}` : ''}`.trimEnd()
    + (row.syncs.length ? `\n  Used in syncs: ${row.syncs.join(', ')}` : '') + '\n').join('');
}

/** `bucardo list dbgroups`: `dbgroup: NAME  Members: A:source B:target`. */
export function formatDbGroups(rows: readonly DbGroupRow[]): string {
  if (rows.length === 0) return 'No dbgroups have been added yet\n';
  const name = Math.max(...rows.map((row) => row.name.length));
  return rows.map((row) =>
    `dbgroup: ${row.name.padEnd(name)}${row.members.length ? `  Members: ${row.members.map((m) => `${m.db}:${m.role}`).join(' ')}` : ''}`.trimEnd() + '\n').join('');
}

/**
 * `bucardo list syncs`: `Sync "NAME"  Relgroup "HERD"  DB group "G" A:source B:target  [Active]`; a sync
 * its daemon finds stalled is `[Stalled]`, as in Bucardo, which writes that into the sync's status.
 */
export function formatSyncs(rows: readonly SyncRow[], groups: readonly DbGroupRow[], stalled: ReadonlySet<string> = new Set(), detail?: ListDetail): string {
  if (rows.length === 0) return 'No syncs found\n';
  const name = Math.max(...rows.map((row) => row.name.length)) + 2;
  const herd = Math.max(...rows.map((row) => row.herd.length)) + 2;
  return rows.map((row) => {
    const group = groups.find((g) => g.name === row.dbgroup);
    const members = group ? group.members.map((m) => ` ${m.db}:${m.role}`).join('') : '';
    const status = stalled.has(row.name) ? 'Stalled' : row.status.charAt(0).toUpperCase() + row.status.slice(1);
    return `Sync ${`"${row.name}"`.padEnd(name)}  Relgroup ${`"${row.herd}"`.padEnd(herd)}  DB group "${row.dbgroup}"${members}  [${status}]\n`
      + (detail ? syncDetail(row, detail) : '');
  }).join('');
}

/**
 * `bucardo list conflicts`: one line per conflict, newest first: when, sync and run, table and key, the
 * kind, each candidate's database, operation and change time, and how it was settled.
 */
export function formatConflicts(rows: readonly ConflictLogRow[]): string {
  if (rows.length === 0) return 'No conflicts recorded\n';
  return rows.map((row) => {
    const candidates = row.candidates.map((c) => `${c.db}:${c.op}@${new Date(c.changedAt / 1000).toISOString()}`).join(' ');
    const settled = row.outcome === 'skipped' ? 'skipped (left for manual resolution)' : `${row.outcome === 'merged' ? 'merged, ' : ''}winner ${row.winner}`;
    return `${row.recorded.toISOString()}  sync ${row.sync} run ${row.runId}  ${row.table} key ${displayKey(row.key)}  ${row.kind}  [${candidates}]  ${settled} by ${row.decidedBy}\n`;
  }).join('');
}
