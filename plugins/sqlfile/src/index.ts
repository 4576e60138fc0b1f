import { definePlugin, type BucardoPlugin, type DatabaseDriver, type DatabaseSpec } from '@bucardo/plugin-sdk';
import { describeFileDatabase, normalizeParams } from './params.js';
import { SqlfileTarget, prepareDirectory } from './sqlfile-target.js';
import { resolveOptions, type FileFormat, type SqlfileOptions } from './sqlfile-options.js';

export { SqlfileTarget, SqlfileSession, SQLFILE_CAPABILITIES, prepareDirectory } from './sqlfile-target.js';
export { finalFileName, tempFileName, fileStamp } from './file-names.js';
export { normalizeParams, describeFileDatabase } from './params.js';
export { quoteIdent, quoteLiteral, quoteTable, typedLiteral, deleteStatements, insertStatements, copyStatement, fileHeader } from './sql-text.js';
export { resolveOptions } from './sqlfile-options.js';
export type { SqlfileOptions, ResolvedSqlfileOptions, FileFormat } from './sqlfile-options.js';

/**
 * The database types of this plugin. `flatfile` (alias `sqlfile`) takes `format=sql|copy`; `flatsql` and
 * `flatpg` are Bucardo's names, each with its format fixed (sql, copy). They are separate types rather
 * than aliases of `flatfile` because a driver's `normalizeParams` is not told which name the user typed.
 */
const TYPES: ReadonlyArray<{ type: string; aliases: string[]; format?: FileFormat }> = [
  { type: 'flatfile', aliases: ['sqlfile'] },
  { type: 'flatsql', aliases: [], format: 'sql' },
  { type: 'flatpg', aliases: [], format: 'copy' },
];

/** Builds the drivers (exported for tests; the plugin registers them). */
export function sqlfileDrivers(options: SqlfileOptions = {}): DatabaseDriver[] {
  const target = new SqlfileTarget(resolveOptions(options));
  return TYPES.map(({ type, aliases, format }) => ({
    type,
    aliases,
    normalizeParams: (params: Readonly<Record<string, string>>) => normalizeParams(params, format, type),
    describe: (spec: DatabaseSpec) => describeFileDatabase(spec),
    async ping(spec: DatabaseSpec) {
      await prepareDirectory(spec);
    },
    // no `source`: a flat file can only be a target, and the core says so
    target,
  }));
}

/** The flat SQL file target: `bucardo add db f1 type=flatfile dir=/path [format=sql|copy]`. */
export function targetSqlfile(options: SqlfileOptions = {}): BucardoPlugin {
  const drivers = sqlfileDrivers(options);
  return definePlugin({
    name: 'sqlfile',
    apply(host) {
      for (const driver of drivers) host.registerDatabase(driver);
    },
  });
}

export default targetSqlfile;
