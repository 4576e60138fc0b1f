import { KEY_STANDINGS, SEQUENCE_FIELDS, sequenceDiffers, tableDiffers, type ComparedDatabases, type ComparisonStart, type SequenceComparison, type SequenceField, type SyncComparison, type TableComparison } from '@bucardo/core';
import { displayKey, textLiteral } from '@bucardo/plugin-sdk';

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Longest value shown whole on a key line. */
const SHOWN = 40;

/** A value on a key line: NULL, or its text as an SQL literal, cut short. */
function valueText(value: string | null): string {
  if (value === null) return 'NULL';
  return textLiteral(value.length > SHOWN ? `${value.slice(0, SHOWN)}…` : value);
}

/** `bucardo compare`'s first lines: what is set against what, and which databases are left out. */
export function formatComparisonStart(start: ComparisonStart): string[] {
  const { sync, reference, databases, leftOut, tableCount, sequenceCount } = start;
  const what = [...(tableCount > 0 || sequenceCount === 0 ? [plural(tableCount, 'table', 'tables')] : []), ...(sequenceCount > 0 ? [plural(sequenceCount, 'sequence', 'sequences')] : [])].join(' and ');
  return [
    `Comparing sync "${sync}" against database "${reference}", its first source: ${what} on ${databases.length} databases`,
    ...leftOut.map(({ db, reason }) => `Not compared on database "${db}": ${reason}`),
    ...[...start.unreachable].map(([db, error]) => `Not compared on database "${db}": ${error.message} [${error.code}]`),
    ...start.pending.map(({ db, records, tables }) => `Note: ${plural(records, 'change record', 'change records')} on database "${db}" not delivered yet (${tables.map((t) => `${t.table} ${t.records}`).join(', ')}): what ${records === 1 ? 'it changes shows' : 'they change show'} as differences until the next run (bucardo kick ${sync} 0)`),
  ];
}

/** What was left out of a table's compare: databases with a problem of their own, columns only some have. */
function notComparedLines(table: TableComparison): string[] {
  return [
    ...[...table.excluded].map(([db, problem]) => `  Not compared on ${db}: ${problem.message} [${problem.code}]`),
    ...[...table.notCompared].map(([db, columns]) => {
      const select = table.selectedOn?.get(db);
      const why = select ? `which customcols ${select.id} does not select` : 'which the first source lacks';
      return `  Not compared on ${db}: ${columns.length === 1 ? 'column' : 'columns'} ${columns.map((c) => `"${c}"`).join(', ')}, ${why}`;
    }),
  ];
}

/** Where a database was set against the first source read through its customcols list: one line each, saying which. */
function selectedLines(table: TableComparison, reference: string): string[] {
  return [...(table.selectedOn ?? [])].map(([db, { id, selectList }]) => `  Compared on ${db} with ${reference} read through customcols ${id}: SELECT ${selectList}`);
}

/** Where the table has another name (`bucardo add customname`): what to look for on those databases. */
function namedLines(table: TableComparison): string[] {
  return table.namedOn && table.namedOn.size > 0 ? [`  Named ${[...table.namedOn].map(([db, name]) => `${name} on ${db}`).join(', ')} (bucardo list customnames)`] : [];
}

/** A table's lines: `same on …`, or `differs: …`, then per database and per key (none with `keys` 0: counts only). */
export function formatTableComparison(table: TableComparison, scope: Pick<ComparedDatabases, 'databases' | 'reference'>, keys: number): string[] {
  const databases = scope.databases.filter((db) => !table.excluded.has(db));
  const rows = (db: string) => table.rows.get(db) ?? 0;
  if (table.problem) return [`${table.table}: not compared: ${table.problem.message} [${table.problem.code}]`];
  if (!tableDiffers(table)) {
    return [`${table.table}: same on ${databases.join(', ')} (${plural(rows(databases[0]!), 'row', 'rows')})`, ...namedLines(table), ...selectedLines(table, scope.reference), ...notComparedLines(table)];
  }
  const lines = [`${table.table}: differs: ${databases.map((db) => `${db} ${plural(rows(db), 'row', 'rows')}`).join(', ')}`, ...namedLines(table), ...selectedLines(table, scope.reference)];
  for (const db of databases) {
    const counts = table.counts.get(db);
    const byColumn = [...(table.columnCounts.get(db) ?? [])].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1));
    // which columns the different rows differ in: where a schema change or a fix went wrong
    const columns = byColumn.length === 0 ? '' : ` (${byColumn.map(([name, n]) => `${name}: ${n}`).join(', ')})`;
    const parts = counts ? KEY_STANDINGS.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}${s === 'different' ? columns : ''}`) : [];
    const unkeyed = table.unkeyed.get(db) ?? 0;
    if (unkeyed > 0) parts.push(`${plural(unkeyed, 'row', 'rows')} with a NULL key, which no key matches`);
    // a fullcopy sync's keyless table: compared as a whole
    if (table.keyless?.differ.includes(db)) parts.push('its rows differ (the table has no key to list them by; the next kick copies it whole)');
    if (parts.length > 0) lines.push(`  ${db}: ${parts.join(', ')}`);
  }
  for (const difference of table.differences) {
    const parts = KEY_STANDINGS.map((standing) => {
      const on = databases.filter((db) => difference.on.get(db) === standing);
      const named = (db: string) => {
        if (standing !== 'different') return db;
        const values = difference.values?.get(db);
        if (values && values.length > 0) return `${db} (${values.map((v) => `${v.column}: ${valueText(v.reference)} → ${valueText(v.here)}`).join(', ')})`;
        const columns = difference.columns?.get(db);
        return columns && columns.length > 0 ? `${db} (${columns.join(', ')})` : db;
      };
      return on.length === 0 ? undefined : `${standing} on ${on.map(named).join(', ')}`;
    }).filter((part): part is string => part !== undefined);
    lines.push(`  key ${displayKey(difference.key)}: ${parts.join('; ')}`);
  }
  const more = table.differing - table.differences.length;
  if (more > 0 && keys > 0) lines.push(`  … and ${plural(more, 'more key', 'more keys')}`);
  return [...lines, ...notComparedLines(table)];
}

const SEQUENCE_FIELD_NAMES: Record<SequenceField, string> = {
  lastValue: 'last value', isCalled: 'called', increment: 'increment', min: 'minimum', max: 'maximum', start: 'start', cycle: 'cycle',
};

/** A sequence's lines: `same on …` with its value, or `differs` and, per database, each setting from the first source's to its own. */
export function formatSequenceComparison(sequence: SequenceComparison): string[] {
  if (sequence.problem) return [`${sequence.sequence}: not compared: ${sequence.problem.message} [${sequence.problem.code}]`];
  const excluded = [...sequence.excluded].map(([db, problem]) => `  Not compared on ${db}: ${problem.message} [${problem.code}]`);
  const databases = [...sequence.states.keys()];
  const [reference] = databases;
  const mine = sequence.states.get(reference!)!;
  if (sequence.differing.size === 0) return [`${sequence.sequence}: same on ${databases.join(', ')} (sequence, last value ${mine.lastValue})`, ...excluded];
  const lines = [`${sequence.sequence}: differs (sequence): ${databases.map((db) => `${db} last value ${sequence.states.get(db)!.lastValue}`).join(', ')}`];
  for (const [db, fields] of sequence.differing) {
    const theirs = sequence.states.get(db)!;
    lines.push(`  ${db}: ${SEQUENCE_FIELDS.filter((field) => fields.includes(field)).map((field) => `${SEQUENCE_FIELD_NAMES[field]}: ${String(mine[field])} → ${String(theirs[field])}`).join(', ')}`);
  }
  return [...lines, ...excluded];
}

/** The last line: every table the same, or how many differ, and how many could not be compared. */
export function formatComparisonEnd(comparison: SyncComparison): string {
  const { sync, tables, sequences, unreachable } = comparison;
  const notReached = unreachable.size === 0 ? '' : `; not reached: ${[...unreachable.keys()].map((db) => `database "${db}"`).join(', ')}`;
  const tableCounts = countsOf(tables.filter(tableDiffers).length, tables.filter((table) => table.problem).length,
    tables.filter((table) => !table.problem && table.excluded.size > 0).length, tables.length, 'table', 'tables');
  const sequenceCounts = countsOf(sequences.filter(sequenceDiffers).length, sequences.filter((sequence) => sequence.problem).length,
    sequences.filter((sequence) => !sequence.problem && sequence.excluded.size > 0).length, sequences.length, 'sequence', 'sequences');
  if (tableCounts.length === 0 && sequenceCounts.length === 0) {
    const every = sequences.length > 0 ? 'every table and sequence is' : 'every table is';
    return `Sync "${sync}": ${every} the same on every database${unreachable.size > 0 ? ' reached' : ''}${notReached}`;
  }
  return `Sync "${sync}": ${[...tableCounts, ...sequenceCounts].join(', ')}${notReached}`;
}

/** How many of `total` tables (or sequences) differ, were compared on some databases only, or not at all; nothing when all are the same. */
function countsOf(differ: number, failed: number, partly: number, total: number, one: string, many: string): string[] {
  if (differ === 0 && failed === 0 && partly === 0) return [];
  const of = (n: number) => `${n} of ${plural(total, one, many)}`;
  return [
    ...(differ > 0 || failed + partly === 0 ? [`${of(differ)} ${differ === 1 ? 'differs' : 'differ'}`] : []),
    ...(partly > 0 ? [`${of(partly)} not compared on every database`] : []),
    ...(failed > 0 ? [`${of(failed)} not compared`] : []),
  ];
}
