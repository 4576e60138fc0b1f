/**
 * `update dbgroup … remove` while an initial copy is half done, end to end: the copy is killed in the
 * middle of a table, a target is taken out of the dbgroup, and the next kick resumes the copy to the
 * targets still there (the saved progress names the one taken out, which the run no longer has).
 */
import { describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { assertConverged } from '../src/helpers/databases.js';
import { waitFor } from './support/daemon-world.js';
import { batchConfig, threeDatabaseWorld } from './support/lifecycle-kit.js';

const server = serverFromInfo(inject('pg'));

const ROWS = 40_000;
const BATCH = 500;

describe('a target taken out of the dbgroup during an initial copy', () => {
  const setup = threeDatabaseWorld(server, 'udc');
  const { world } = setup;

  it('the resumed copy goes on to the targets still in the sync', async () => {
    const { kids, a, b, c } = setup;
    await world.query(a.url, `INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${ROWS}) AS i`);
    await world.api.addTables(['t'], { herd: 'udc_h', db: a.name });
    await world.api.addDbGroup('udc_g', [`${a.name}:source`, `${b.name}:target`, `${c.name}:target`]);
    expect(await world.ok('add', 'sync', 'udc', 'herd=udc_h', 'dbs=udc_g', 'autokick=false', 'onetimecopy=1')).toContain('Added sync "udc"');
    const config = batchConfig(world, BATCH);
    const progress = async () => (await world.sql("SELECT targets, rows, done FROM bucardo.copy_progress WHERE sync = 'udc'"))[0];

    const first = kids.spawn('--config', config, 'kick', 'udc', '0');
    await waitFor('committed batches of the copy', async () => Number((await progress())?.rows ?? 0) >= 4 * BATCH, 60_000, 10);
    expect((await kids.kill(first)).signal).toBe('SIGKILL');
    expect((await progress())!.targets).toEqual([b.name, c.name]);
    expect((await progress())!.done).toBe(false);

    expect(await world.ok('update', 'dbgroup', 'udc_g', 'remove', c.name)).toBe(`Removed database "${c.name}" from dbgroup "udc_g"\n`);

    const second = await kids.spawn('--config', config, '--log-level', 'normal', 'kick', 'udc', '0').exited;
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^Kick udc: \[\d+ s\] DONE!$/m);
    expect(second.stderr).toMatch(new RegExp(`Initial copy of public\\.t from udc_A to udc_B \\(resuming after \\d+ rows\\)`));
    await assertConverged([a.url, b.url], { t: 'id' });
    expect(await world.sql("SELECT * FROM bucardo.copy_progress WHERE sync = 'udc'")).toEqual([]);
  });
});
