import { BucardoError } from '@bucardo/plugin-sdk';

/** Options of the flat SQL file plugin (`targetSqlfile({ … })` in bucardo.config.ts). */
export interface SqlfileOptions {
  /** The most keys per DELETE and rows per INSERT statement. Default 1000. */
  readonly chunkSize?: number;
  /** Flush the file (and its directory) to disk before publishing it. Default true. */
  readonly fsync?: boolean;
  /**
   * How many bytes of a transaction's text are held in memory before they are written on to the run's
   * `.tmp` file (cut off again if the transaction rolls back). Default 8 MiB.
   */
  readonly bufferBytes?: number;
}

export interface ResolvedSqlfileOptions {
  readonly chunkSize: number;
  readonly fsync: boolean;
  readonly bufferBytes: number;
}

const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;

export function resolveOptions(options: SqlfileOptions = {}): ResolvedSqlfileOptions {
  const chunkSize = options.chunkSize ?? 1000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new BucardoError('CONFIG_INVALID', `sqlfile: chunkSize must be a positive integer, not ${String(chunkSize)}`, { plugin: 'sqlfile', item: 'chunkSize' });
  }
  const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  if (!Number.isInteger(bufferBytes) || bufferBytes < 1) {
    throw new BucardoError('CONFIG_INVALID', `sqlfile: bufferBytes must be a positive integer, not ${String(bufferBytes)}`, { plugin: 'sqlfile', item: 'bufferBytes' });
  }
  return { chunkSize, fsync: options.fsync ?? true, bufferBytes };
}

/** How rows are written: `sql` (INSERT statements) or `copy` (COPY … FROM stdin blocks). */
export type FileFormat = 'sql' | 'copy';

export const FILE_FORMATS: readonly FileFormat[] = ['sql', 'copy'];
