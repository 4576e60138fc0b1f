/**
 * bucardo-plugin-jsonl: a Bucardo target that appends JSON lines, one per key deleted and per row
 * written, to a file per table. Built only against `@bucardo/plugin-sdk`'s public exports.
 *
 * ```ts
 * // bucardo.config.ts
 * import { defineConfig } from '@bucardo/plugin-sdk';
 * import jsonl from 'bucardo-plugin-jsonl';
 * export default defineConfig({ plugins: [jsonl({ fsync: false })] });
 * ```
 * then `bucardo add db j1 type=jsonl dir=/var/spool/bucardo`.
 */
import { resolve } from 'node:path';
import { BucardoError, definePlugin, type BucardoPlugin, type DatabaseDriver } from '@bucardo/plugin-sdk';
import { JsonlTarget } from './jsonl-target.js';

export { JsonlTarget, fileNameOf, type JsonlLine } from './jsonl-target.js';
export { foldTable } from './read-jsonl.js';

/** Options of the plugin (`jsonl({ … })`, or `['bucardo-plugin-jsonl', { … }]` in a config). */
export interface JsonlOptions {
  /** Flush each file to disk after a run appends to it. Default true. */
  readonly fsync?: boolean;
  /** A directory for databases added without `dir=`. Default: none (`dir=` is required). */
  readonly dir?: string;
}

/** Checks `bucardo add db NAME type=jsonl dir=DIRECTORY`: `dir` is required (or a default), made absolute. */
export function normalizeParams(params: Readonly<Record<string, string>>, defaultDir?: string): Record<string, string> {
  for (const key of Object.keys(params)) {
    if (key !== 'dir') throw new BucardoError('INVALID_ARGUMENT', `Unknown option "${key}" for a jsonl database (known: dir)`, { item: key });
  }
  const dir = params.dir ?? defaultDir;
  if (!dir) throw new BucardoError('INVALID_ARGUMENT', 'A jsonl database needs dir=DIRECTORY', { item: 'dir' });
  return { dir: resolve(dir) };
}

/** The database type `jsonl`, target only. */
export function jsonlDriver(options: JsonlOptions = {}): DatabaseDriver {
  const target = new JsonlTarget(options);
  return {
    type: 'jsonl',
    normalizeParams: (params) => normalizeParams(params, options.dir),
    describe: (spec) => `Dir: ${spec.params.dir ?? '(none)'} (JSON lines)`,
    async ping(spec, context) {
      await (await target.open(spec, context)).close();
    },
    target,
  };
}

/** The plugin: registers the `jsonl` database type. */
export default function jsonl(options: JsonlOptions = {}): BucardoPlugin {
  const driver = jsonlDriver(options);
  return definePlugin({
    name: 'jsonl',
    apply(host) {
      host.registerDatabase(driver);
    },
  });
}
