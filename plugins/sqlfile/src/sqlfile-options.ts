import { BucardoError } from '@bucardo/plugin-sdk';

/** Options of the flat SQL file plugin (`targetSqlfile({ … })` in bucardo.config.ts). */
export interface SqlfileOptions {
  /** The most keys per DELETE and rows per INSERT statement. Default 1000. */
  readonly chunkSize?: number;
  /** Flush the file (and its directory) to disk before publishing it. Default true. */
  readonly fsync?: boolean;
}

export interface ResolvedSqlfileOptions {
  readonly chunkSize: number;
  readonly fsync: boolean;
}

export function resolveOptions(options: SqlfileOptions = {}): ResolvedSqlfileOptions {
  const chunkSize = options.chunkSize ?? 1000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new BucardoError('CONFIG_INVALID', `sqlfile: chunkSize must be a positive integer, not ${String(chunkSize)}`, { plugin: 'sqlfile', item: 'chunkSize' });
  }
  return { chunkSize, fsync: options.fsync ?? true };
}

/** How rows are written: `sql` (INSERT statements) or `copy` (COPY … FROM stdin blocks). */
export type FileFormat = 'sql' | 'copy';

export const FILE_FORMATS: readonly FileFormat[] = ['sql', 'copy'];
