/**
 * The MongoDB type through the `bucardo` command, as a user meets it (no MongoDB server needed): adding
 * one checks the parameters and the connection, it is listed without its password, and it can only be a
 * target.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { bucardoEnv, createDatabase, dropDatabase, runBucardo, serverFromInfo, uniqueName, withClient, type CliResult } from '@bucardo/test';

const server = serverFromInfo(inject('pg'));
const control = uniqueName('mcli_ctl');
const source = uniqueName('mcli_a');
const env = bucardoEnv(server, control);
const bucardo = (...args: string[]): Promise<CliResult> => runBucardo(args, { env });

function expectError(r: CliResult, code: string, ...names: string[]): void {
  expect(r.timedOut).toBe(false);
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  expect(r.stderr).toContain(`[${code}]`);
  for (const name of names) expect(r.stderr).toContain(name);
}

beforeAll(async () => {
  await createDatabase(server, control);
  await createDatabase(server, source);
  await withClient(server.url(source), (c) => c.query('CREATE TABLE items (id int PRIMARY KEY, v text)'));
  const install = await bucardo('install');
  expect(install.code, install.stderr).toBe(0);
  const add = await bucardo('add', 'db', 'a', `dbname=${source}`);
  expect(add.code, add.stderr).toBe(0);
});

afterAll(async () => {
  await dropDatabase(server, source);
  await dropDatabase(server, control);
});

it('an unreachable MongoDB: CONNECTION_FAILED naming the database, and nothing is added', async () => {
  const port = await closedPort();
  const started = Date.now();
  const r = await bucardo('add', 'db', 'm1', 'type=mongo', 'dbname=shop', 'host=127.0.0.1', `port=${port}`, 'user=u', 'pass=topsecret');
  expectError(r, 'CONNECTION_FAILED', '"m1"', `127.0.0.1:${port}`);
  expect(r.stderr).not.toContain('topsecret');
  expect(Date.now() - started).toBeLessThan(30_000);
  expect((await bucardo('list', 'dbs')).stdout).not.toMatch(/\bm1\b/);
});

it('bad parameters: INVALID_ARGUMENT naming the key', async () => {
  expectError(await bucardo('add', 'db', 'm9', 'type=mongo', 'dbname=shop', 'colour=red', '--force'), 'INVALID_ARGUMENT', 'colour');
  expectError(await bucardo('add', 'db', 'm9', 'type=mongo', 'host=h', '--force'), 'INVALID_ARGUMENT', 'dbname');
  expectError(await bucardo('add', 'db', 'm9', 'type=mongodb', 'dbname=shop', 'chunkSize=0', '--force'), 'INVALID_ARGUMENT', 'chunkSize');
});

it('with --force it is added without a connection, listed without its password', async () => {
  const r = await bucardo('add', 'db', 'm1', 'type=mongo', 'dbname=shop', '--force');
  expect(r.code, r.stderr).toBe(0);
  const alias = await bucardo('add', 'db', 'm2', 'type=mongodb', 'dbname=shop', 'host=mongo.example', 'user=u', 'pass=topsecret', '--force');
  expect(alias.code, alias.stderr).toBe(0);
  const list = await bucardo('list', 'dbs');
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toMatch(/^Database: m1\s.*mongo mongodb:\/\/localhost:27017\/shop$/m);
  expect(list.stdout).toMatch(/^Database: m2\s.*mongo mongodb:\/\/u:\*\*\*\*\*@mongo\.example:27017\/shop$/m);
  expect(list.stdout).not.toContain('topsecret');
});

it('as a source in a dbgroup: DB_ROLE_UNSUPPORTED naming it; as a target it is accepted', async () => {
  expectError(await bucardo('add', 'dbgroup', 'g', 'a:source', 'm1:source'), 'DB_ROLE_UNSUPPORTED', 'm1');
  expectError(await bucardo('add', 'dbgroup', 'g', 'm1:master', 'a:target'), 'DB_ROLE_UNSUPPORTED', 'm1');
  const ok = await bucardo('add', 'dbgroup', 'g', 'a:source', 'm1:target');
  expect(ok.code, ok.stderr).toBe(0);
});

/** A port nothing listens on: bound, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
