/**
 * `bucardo add db` without host= and port= (the `bucardo` command run as a process, real databases): as in
 * Bucardo, they are taken from PGHOST (or PGHOSTADDR) and PGPORT of the adding process and stored, so the
 * server it test-connected to is the one every run reaches. A process with other PG* variables (a daemon
 * started elsewhere, a shell pointed at another server) lists and runs the sync against the stored server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('add db without host= and port=', () => {
  const world = new DaemonWorld(server, 'ade');
  let a: Db;
  let b: Db;
  /** Another server's variables: only the stored host and port reach ours (the control database is named by option). */
  const elsewhere = (...args: string[]) => world.bucardoWith({ PGHOST: '/nonexistent', PGPORT: '1' }, '--db-host', server.host, '--db-port', String(server.port), ...args);

  beforeAll(async () => {
    await world.install();
    a = await world.database('src');
    b = await world.database('dst');
  });
  afterAll(() => world.dispose());

  it('stores the adding process\'s PGHOST and PGPORT, and every later process reaches that server', async () => {
    // the usual environment of these tests points PGHOST and PGPORT at the server
    expect(await world.ok('add', 'db', 'ev_A', `dbname=${a.dbname}`)).toBe(`Added database "ev_A"\n`);
    expect(await world.ok('add', 'db', 'ev_B', `dbname=${b.dbname}`)).toBe(`Added database "ev_B"\n`);
    const stored = await world.sql("SELECT name, params->>'host' AS host, params->>'port' AS port FROM bucardo.db WHERE name LIKE 'ev_%' ORDER BY name");
    expect(stored).toEqual([
      { name: 'ev_A', host: server.host, port: String(server.port) },
      { name: 'ev_B', host: server.host, port: String(server.port) },
    ]);

    const listed = await elsewhere('list', 'dbs', 'ev_A');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`Conn: psql -p ${server.port} -U ${server.user} -d ${a.dbname} -h ${server.host}`);

    await world.ok('add', 'table', 't', 'db=ev_A', 'herd=ev_h');
    await world.ok('add', 'sync', 'ev', 'herd=ev_h', 'dbs=ev_A:source,ev_B:target', 'autokick=false');
    await world.insert(a, 1, 2, 3);
    const kicked = await elsewhere('kick', 'ev', '0');
    expect(kicked.code, kicked.stdout + kicked.stderr).toBe(0);
    expect(kicked.stdout).toMatch(/^Kick ev: \[\d+ s\] DONE!$/m);
    expect(await world.ids(b)).toEqual([1, 2, 3]);
  });

  it('a PGPORT that is not a number is refused, naming where it came from, and nothing is stored', async () => {
    const refused = await world.bucardoWith({ PGPORT: 'fivefour' }, '--db-port', String(server.port), 'add', 'db', 'ev_C', `dbname=${a.dbname}`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ERROR: Database "ev_C": port must be a number, not "fivefour" (from PGPORT) [INVALID_ARGUMENT]\n');
    expect(await world.sql("SELECT name FROM bucardo.db WHERE name = 'ev_C'")).toEqual([]);
  });
});
