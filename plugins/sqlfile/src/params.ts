import { resolve } from 'node:path';
import { BucardoError, type DatabaseSpec } from '@bucardo/plugin-sdk';
import { FILE_FORMATS, type FileFormat } from './sqlfile-options.js';

/** `bucardo add db` parameters and their aliases (`flatfile_dir` is Bucardo's column name). */
const aliases: Record<string, 'dir' | 'format'> = {
  dir: 'dir', directory: 'dir', flatfile_dir: 'dir',
  format: 'format',
};

/**
 * Checks the parameters of a flat file database. `fixedFormat` is set for the types that name their
 * format (`flatsql` → sql, `flatpg` → copy); `format=` may then only repeat it. The directory is made
 * absolute, so that a daemon started elsewhere writes where `bucardo add db` was told.
 */
export function normalizeParams(params: Readonly<Record<string, string>>, fixedFormat?: FileFormat, type = 'flatfile'): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const canonical = aliases[key.toLowerCase()];
    if (!canonical) {
      throw new BucardoError('INVALID_ARGUMENT', `Unknown option "${key}" for a ${type} database (known: ${Object.keys(aliases).join(', ')})`, { item: key });
    }
    normalized[canonical] = value;
  }
  if (normalized.dir === undefined || normalized.dir.trim() === '') {
    throw new BucardoError('INVALID_ARGUMENT', `A ${type} database needs dir=DIRECTORY (where the SQL files are written)`, { item: 'dir' });
  }
  const format = (normalized.format ?? fixedFormat ?? 'sql').toLowerCase();
  if (!(FILE_FORMATS as readonly string[]).includes(format)) {
    throw new BucardoError('INVALID_ARGUMENT', `format must be sql or copy, not "${normalized.format}"`, { item: 'format' });
  }
  if (fixedFormat && format !== fixedFormat) {
    throw new BucardoError('INVALID_ARGUMENT', `Type ${type} writes format ${fixedFormat}; use type=flatfile format=${format} instead`, { item: 'format' });
  }
  return { dir: resolve(normalized.dir), format };
}

export function formatOf(spec: DatabaseSpec): FileFormat {
  return spec.params.format === 'copy' ? 'copy' : 'sql';
}

export function dirOf(spec: DatabaseSpec): string {
  const dir = spec.params.dir;
  if (dir === undefined || dir === '') {
    throw new BucardoError('INVALID_ARGUMENT', `Database "${spec.name}" (type ${spec.type}) has no dir parameter`, { db: spec.name, item: 'dir' });
  }
  return dir;
}

/** What `bucardo list dbs` shows: `Dir: /path (format sql)`. */
export function describeFileDatabase(spec: DatabaseSpec): string {
  return `Dir: ${spec.params.dir ?? '(none)'} (format ${formatOf(spec)})`;
}
