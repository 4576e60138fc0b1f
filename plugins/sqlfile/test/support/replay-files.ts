/**
 * Replays flat SQL files into a PostgreSQL database through the `pg` driver, as psql would: SQL text as
 * simple queries, each `COPY … FROM stdin;` block through pg-copy-streams.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** The published files of a directory (not `.tmp`), in run order (`sort -V`: time, then run id). */
export function publishedFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.sql'))
    .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
    .map((name) => join(dir, name));
}

export async function replayFile(url: string, file: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    let statements = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (/^COPY .* FROM stdin;$/.test(line)) {
        if (statements.trim()) await client.query(statements);
        statements = '';
        const data: string[] = [];
        for (i++; lines[i] !== '\\.'; i++) {
          if (i >= lines.length) throw new Error(`${file}: a COPY block without its \\. line`);
          data.push(`${lines[i]!}\n`);
        }
        const stream = client.query(copyFrom(line.replace(/;$/, '')));
        stream.end(Buffer.from(data.join(''), 'utf8'));
        await finished(stream);
      } else {
        statements += `${line}\n`;
      }
    }
    if (statements.trim()) await client.query(statements);
  } finally {
    await client.end();
  }
}
