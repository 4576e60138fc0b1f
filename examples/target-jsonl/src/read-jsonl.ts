/**
 * Reading the files back: folding a table's lines in order (a truncate empties the table, a delete removes
 * the key, a write sets the row) gives the table as the sources had it. Consumers of the files do the same.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TableShape, TextValue } from '@bucardo/plugin-sdk';
import { fileNameOf, type JsonlLine } from './jsonl-target.js';

/** The table's rows after folding every line of its file (none when the file does not exist). */
export async function foldTable(dir: string, shape: TableShape): Promise<Array<Record<string, TextValue>>> {
  let text: string;
  try {
    text = await readFile(join(dir, fileNameOf(shape.table)), 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
  const keyOf = (values: Record<string, unknown>) => JSON.stringify(shape.key.map((column) => values[column.name]));
  const rows = new Map<string, Record<string, TextValue>>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parsed = JSON.parse(line) as JsonlLine;
    if (parsed.op === 'truncate') rows.clear();
    else if (parsed.op === 'delete') rows.delete(keyOf(parsed.key));
    else rows.set(keyOf(parsed.row), parsed.row);
  }
  return [...rows.values()];
}
