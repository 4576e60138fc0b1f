/**
 * The guide's target runs: the README's `target-csv.ts` and `target-csv.test.ts` blocks are written to
 * test/.guide/ as they are printed and the kit block is imported here, so the target kit runs every
 * scenario through the guide's writer. A guide whose example fails the kit (a walk-through found values
 * with newlines breaking its CSV, and a bad run's committed lines dropped) fails this test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockName, tsBlocks } from './support/guide-blocks.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const blocks = tsBlocks(readFileSync(path.join(here, '..', 'README.md'), 'utf8'));
const named = new Map(blocks.map((block) => [blockName(block), block.code]));
const dir = path.join(here, '.guide');
mkdirSync(dir, { recursive: true });
const writer = named.get('target-csv.ts');
const kit = named.get('target-csv.test.ts');
if (!writer || !kit) throw new Error('plugin-sdk/README.md lost its target-csv.ts or target-csv.test.ts block');
writeFileSync(path.join(dir, 'target-csv.ts'), writer);
// not named *.test.ts: vitest must not collect it on its own
writeFileSync(path.join(dir, 'target-csv-kit.ts'), kit);
// a computed path: on a fresh clone the file exists only once this test wrote it, after the type check
const kitPath = path.join(dir, 'target-csv-kit.ts');
await import(kitPath);
