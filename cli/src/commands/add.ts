import { BucardoError, formatTable, type TableRef } from '@bucardo/plugin-sdk';
import { parseGroupJoin, type AddTablesResult, type DbGroupRow } from '@bucardo/core';
import { reportDbGroupUpdate } from './update-dbgroup.js';
import { namePattern } from './name-pattern.js';
import type { CliSession } from '../cli-session.js';
import { nounOf } from '../nouns.js';
import { warnForeignKeys } from './foreign-key-warnings.js';
import { printWarning } from '../print-error.js';
import { rejectUnknown } from './options.js';
import { refreshAboveNote } from './refresh-note.js';
import { rowsNotCopiedNote } from './rows-not-copied.js';
import { withoutBucardoOnlyOptions } from './bucardo-sync-options.js';
import { addCustomName } from './custom-names.js';
import { addCustomCols } from './custom-cols.js';
import { parseBoolean } from '@bucardo/core';

/** `bucardo add db|table|herd|dbgroup|sync …`. */
export async function add(session: CliSession): Promise<number> {
  const [nounWord, ...rest] = session.words;
  switch (nounOf(nounWord)) {
    case 'database': return addDatabases(session, rest);
    case 'table': return addTables(session, rest);
    case 'herd': return addHerd(session, rest);
    case 'dbgroup': return addDbGroup(session, rest);
    case 'sync': return addSync(session, rest);
    case 'sequence': return addSequences(session, rest);
    case 'all': return addAll(session, rest);
    case 'customname': return addCustomName(session, rest);
    case 'customcols': return addCustomCols(session, rest);
    default:
      throw new BucardoError('UNKNOWN_COMMAND', `Usage: bucardo add db|table|sequence|herd|dbgroup|sync|customname|customcols NAME … | add all tables|sequences${nounWord ? ` ("${nounWord}" is not one of them)` : ''}`, { item: nounWord ?? 'add' });
  }
}

async function addDatabases(session: CliSession, words: readonly string[]): Promise<number> {
  const names = single(words, 'bucardo add db NAME[,NAME…] dbname=…[,…] [host=… port=… user=… pass=…] [dbgroup=G[:ROLE]]').split(',');
  const { dbgroup, ...params } = session.params;
  // read before anything is added: a misspelt role adds no database
  const join = dbgroup === undefined ? undefined : parseGroupJoin(dbgroup, names);
  const bucardo = await session.bucardo();
  const options = { force: session.command.options.force };
  if (!join) {
    for (const [index, name] of names.entries()) {
      await bucardo.addDatabase(name, paramsAt(params, index, names.length), options);
      session.print(`Added database "${name}"`);
    }
    return 0;
  }
  // said once all are added and joined: a refusal at any step takes the databases back
  const joined = await bucardo.addDatabasesToGroup(names.map((name, index) => ({ name, params: paramsAt(params, index, names.length) })), options, join);
  for (const name of names) session.print(`Added database "${name}"`);
  if ('created' in joined) printCreatedDbGroup(session, joined.created);
  else reportDbGroupUpdate(session, joined.updated);
  return 0;
}

/**
 * Bucardo's `add db A,B dbname=x,y host=h`: a value with one part per database (as many commas as
 * databases less one) is given out by position, any other value to every database, so that a password
 * holding a comma still reaches each database whole.
 */
function paramsAt(params: Readonly<Record<string, string>>, index: number, count: number): Record<string, string> {
  if (count === 1) return { ...params };
  return Object.fromEntries(Object.entries(params).map(([key, value]) => {
    const parts = value.split(',');
    return [key, parts.length === count ? parts[index]! : value];
  }));
}

async function addTables(session: CliSession, words: readonly string[]): Promise<number> {
  const { herd, relgroup, db, additive, keyless, makedelta, ...unknown } = session.params;
  rejectUnknown(unknown, 'add table', ['herd', 'relgroup', 'db', 'additive', 'keyless', 'makedelta']);
  const herdName = herd ?? relgroup;
  const result = await (await session.bucardo()).addTables(words, {
    ...(herdName !== undefined ? { herd: herdName } : {}), ...(db !== undefined ? { db } : {}), ...(additive !== undefined ? { additive: columnList(additive) } : {}),
    ...(keyless !== undefined ? { keyless: parseBoolean('keyless', keyless) } : {}), ...(makedelta !== undefined ? { makedelta } : {}),
  });
  await printAddedTables(session, result, additive, true);
  return 0;
}

/**
 * `bucardo add all tables|sequences [db=D] [herd=H] [-n SCHEMA] [-N SCHEMA] [-t TABLE] [-T TABLE] [pkonly]
 * [keyless=true]`, as Bucardo's: every table (sequence) of one database, picked by schema and name.
 */
async function addAll(session: CliSession, words: readonly string[]): Promise<number> {
  const [kindWord, ...flags] = words;
  const kind = nounOf(kindWord);
  const pkonly = flags.some((word) => word.toLowerCase() === 'pkonly');
  const unexpected = flags.filter((word) => word.toLowerCase() !== 'pkonly');
  if ((kind !== 'table' && kind !== 'sequence') || unexpected.length > 0) {
    throw new BucardoError('INVALID_ARGUMENT', `Usage: bucardo add all tables|sequences [db=NAME] [herd=NAME] [-n SCHEMA] [-N SCHEMA] [-t TABLE] [-T TABLE] [pkonly] [keyless=true]${unexpected.length ? ` (unexpected: ${unexpected.join(' ')})` : ''}`, { item: kindWord ?? 'all' });
  }
  const { herd, relgroup, db, keyless, ...unknown } = session.params;
  rejectUnknown(unknown, `add all ${kind}s`, kind === 'table' ? ['herd', 'relgroup', 'db', 'keyless'] : ['herd', 'relgroup', 'db']);
  const herdName = herd ?? relgroup;
  const include = tableFilter(session.command.options);
  const bucardo = await session.bucardo();
  const common = { include, ...(herdName !== undefined ? { herd: herdName } : {}), ...(db !== undefined ? { db } : {}) };
  if (kind === 'sequence') {
    const result = await bucardo.addAllSequences(common);
    session.print([`Added the following sequences from database "${result.db}":`, ...result.added.map((sequence) => `  ${formatTable(sequence)}`)].join('\n'));
    if (herdName) session.print(`${result.herdCreated ? `Created the relgroup named "${herdName}"\n` : ''}The following tables or sequences are now part of the relgroup "${herdName}":\n${result.added.map((s) => `  ${formatTable(s)}`).join('\n')}`);
    return 0;
  }
  const result = await bucardo.addAllTables({ ...common, keyedOnly: pkonly, ...(keyless !== undefined ? { keyless: parseBoolean('keyless', keyless) } : {}) });
  await printAddedTables(session, result, undefined, false);
  if (result.keyless.length > 0) session.print(`Left out, having no primary key or unique index (pkonly): ${result.keyless.map(formatTable).join(', ')}`);
  session.print(`New tables added: ${result.added.length}\nAlready added: ${result.alreadyAdded.length}`);
  return 0;
}

/** `-n`/`-N` pick schemas, `-t`/`-T` tables (by `name` or `schema.name`), each with `%`/`*` wildcards. */
function tableFilter(options: { schemas: readonly string[]; excludeSchemas: readonly string[]; tables: readonly string[]; excludeTables: readonly string[] }): (table: TableRef) => boolean {
  const any = (patterns: readonly string[]) => patterns.map(namePattern);
  const [schemas, notSchemas, tables, notTables] = [any(options.schemas), any(options.excludeSchemas), any(options.tables), any(options.excludeTables)];
  const tableMatches = (match: (name: string) => boolean, table: TableRef) => match(table.name) || match(`${table.schema}.${table.name}`);
  return (table) => (schemas.length === 0 || schemas.some((match) => match(table.schema)))
    && !notSchemas.some((match) => match(table.schema))
    && (tables.length === 0 || tables.some((match) => tableMatches(match, table)))
    && !notTables.some((match) => tableMatches(match, table));
}

/** `sayAlreadyAdded`: name the tables when none is new (add all says how many instead). */
async function printAddedTables(session: CliSession, result: AddTablesResult, additive: string | undefined, sayAlreadyAdded: boolean): Promise<void> {
  if (result.added.length > 0) {
    session.print(['Added the following tables or sequences:', ...result.added.map((entry) => `  ${formatTable(entry.table)} (DB: ${entry.db})`)].join('\n'));
  }
  if (result.herd) {
    if (result.herd.created) session.print(`Created the relgroup named "${result.herd.name}"`);
    if (result.herd.added.length > 0) {
      session.print([`The following tables or sequences are now part of the relgroup "${result.herd.name}":`, ...result.herd.added.map((table) => `  ${formatTable(table)}`)].join('\n'));
      const syncs = result.herd.syncs;
      if (syncs.length > 0) {
        session.print(`${syncs.length === 1 ? 'Sync' : 'Syncs'} ${syncs.map((sync) => `"${sync}"`).join(', ')} now ${syncs.length === 1 ? 'replicates' : 'replicate'} them`);
        session.print(rowsNotCopiedNote(syncs));
        await warnForeignKeys(await session.bucardo(), syncs);
      }
    }
  }
  // nothing new at all: say so, an empty answer reads as a failure that printed nothing
  const nothingNew = result.added.length === 0 && !result.herd?.created && (result.herd?.added.length ?? 0) === 0;
  if (nothingNew && sayAlreadyAdded) session.print(`Already added: ${result.alreadyAdded.map(formatTable).join(', ')}${result.herd ? `, and in relgroup "${result.herd.name}"` : ''}`);
  // additive= is set on the tables already there too, as update table sets it: say so, "already added" alone reads as nothing done
  if (additive !== undefined && result.alreadyAdded.length > 0) {
    const columns = columnList(additive);
    session.print(result.alreadyAdded.map((table) => `Set additive columns of ${formatTable(table)} to ${columns.length ? columns.join(', ') : 'none'}`).join('\n'));
  }
}

async function addSequences(session: CliSession, words: readonly string[]): Promise<number> {
  const { herd, relgroup, db, ...unknown } = session.params;
  rejectUnknown(unknown, 'add sequence', ['herd', 'relgroup', 'db']);
  const herdName = herd ?? relgroup;
  const result = await (await session.bucardo()).addSequences(words, { ...(herdName !== undefined ? { herd: herdName } : {}), ...(db !== undefined ? { db } : {}) });
  session.print(['Added the following tables or sequences:', ...result.added.map((sequence) => `  ${formatTable(sequence)}`)].join('\n'));
  if (herdName) session.print(`${result.herdCreated ? `Created the relgroup named "${herdName}"\n` : ''}The following tables or sequences are now part of the relgroup "${herdName}":\n${result.added.map((s) => `  ${formatTable(s)}`).join('\n')}`);
  return 0;
}

async function addHerd(session: CliSession, words: readonly string[]): Promise<number> {
  const [name, ...tables] = words;
  if (!name) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo add herd NAME [TABLE …]');
  const herd = await (await session.bucardo()).addHerd(name, tables);
  session.print(`Created relgroup "${herd.name}"`);
  if (herd.members.length > 0) session.print([`The following tables or sequences are now part of the relgroup "${herd.name}":`, ...herd.members.map((t) => `  ${formatTable(t)}`)].join('\n'));
  return 0;
}

async function addDbGroup(session: CliSession, words: readonly string[]): Promise<number> {
  const [name, ...members] = words;
  if (!name) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo add dbgroup NAME DB:ROLE …');
  printCreatedDbGroup(session, await (await session.bucardo()).addDbGroup(name, members.flatMap((member) => member.split(',')).filter(Boolean)));
  return 0;
}

function printCreatedDbGroup(session: CliSession, group: DbGroupRow): void {
  session.print(`Created dbgroup "${group.name}"`);
  for (const member of group.members) session.print(`  Added database "${member.db}" to dbgroup "${group.name}" as ${member.role}`);
}

async function addSync(session: CliSession, words: readonly string[]): Promise<number> {
  const name = single(words, 'bucardo add sync NAME herd=HERD dbs=DBGROUP [autokick=…] [conflict=…]');
  const { params, warnings } = withoutBucardoOnlyOptions(session.params);
  const result = await (await session.bucardo()).addSync(name, params);
  session.print(`Added sync "${name}"`);
  for (const warning of warnings) process.stderr.write(`${warning}\n`);
  if (result.createdDbGroup) session.print(`Created a new dbgroup named "${result.createdDbGroup}"`);
  const note = refreshAboveNote(name, result.sync.refreshAbove, result.plan.databases);
  if (note) session.print(note);
  for (const warning of result.warnings) printWarning(warning);
  await warnForeignKeys(await session.bucardo(), [name]);
  return 0;
}

function single(words: readonly string[], usage: string): string {
  if (words.length !== 1) throw new BucardoError('INVALID_ARGUMENT', `Usage: ${usage}${words.length > 1 ? ` (unexpected: ${words.slice(1).join(' ')})` : ''}`);
  return words[0]!;
}

/** `a,b c` → ['a', 'b', 'c']. */
export function columnList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}
