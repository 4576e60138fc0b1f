/**
 * The SDK's target conformance kit against the flat SQL file target, in both formats. readBack replays
 * the files published so far, in run order, into a PostgreSQL database holding the kit's tables (each
 * file once), and reads the tables back as text: what a user replaying the files with psql gets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { DatabaseDriver, TableRef, TableShape } from '@bucardo/plugin-sdk';
import { conformanceTables, describeTargetConformance, postgresAddColumnsDdl, postgresDdl } from '@bucardo/plugin-sdk/testing';
import { createDatabase, dropDatabase, serverFromInfo, withClient } from '@bucardo/test';
import { sqlfileDrivers } from '../src/index.js';
import { publishedFiles, replayFile } from './support/replay-files.js';

const server = serverFromInfo(inject('pg'));
const drivers = new Map(sqlfileDrivers().map((driver) => [driver.type, driver]));

async function readText(url: string, table: TableRef, shape: TableShape): Promise<Array<Array<string | null>>> {
  return withClient(url, async (client) => {
    await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; SET extra_float_digits = 3`);
    const columns = shape.columns.map((column) => `${client.escapeIdentifier(column.name)}::text`).join(', ');
    const result = await client.query<Array<string | null>>({ text: `SELECT ${columns} FROM public.${client.escapeIdentifier(table.name)}`, rowMode: 'array' });
    return result.rows;
  });
}

function fileTarget(type: 'flatfile' | 'flatpg', params: Record<string, string>) {
  const driver: DatabaseDriver = drivers.get(type)!;
  return async ({ id, tables }: { id: string; tables: typeof conformanceTables }) => {
    const dir = mkdtempSync(join(tmpdir(), `bucardo-${id}-`));
    const replica = await createDatabase(server, id);
    await withClient(replica, (client) => client.query(postgresDdl(tables)));
    const replayed = new Set<string>();
    return {
      writer: driver.target!,
      spec: { name: 'f1', type, params: driver.normalizeParams({ dir, ...params }) },
      async readBack(table: TableRef, shape: TableShape) {
        for (const file of publishedFiles(dir)) {
          if (replayed.has(file)) continue;
          await replayFile(replica, file);
          replayed.add(file);
        }
        return readText(replica, table, shape);
      },
      // the files have no shape: the database they are replayed into does, and its user changes it
      async reshape(from: TableShape, to: TableShape) {
        await withClient(replica, (client) => client.query(postgresAddColumnsDdl(from, to)));
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
        await dropDatabase(server, id);
      },
    };
  };
}

describeTargetConformance('sqlfile (type flatfile, format sql)', fileTarget('flatfile', { format: 'sql' }));
describeTargetConformance('sqlfile (type flatpg, format copy)', fileTarget('flatpg', {}));
