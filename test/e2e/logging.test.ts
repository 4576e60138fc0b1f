/**
 * Where log lines go and what they say, the `bucardo` command run as processes with a config of its own
 * (in the repository, so that `@bucardo/logger-pino` resolves as in a user's project):
 *
 *  - `start --log-destination DIR` is where the daemon logs, with the pino logger as with the text one,
 *    whatever destination the config or the plugin's options name;
 *  - a logger option no logger knows (a typo) is refused, naming it, with the option it most likely meant;
 *  - a command's lines (`kick s 0 --log-level normal`, run in the command's process) go to stderr, not to
 *    the destination the config names for the daemon;
 *  - a failure's line carries its code (text: `[CODE]` at the end; pino: a `code` field), and a daemon's
 *    failed attempt is one line that says the failure and the retry;
 *  - the daemon's log starts with a banner (version, config, plugins, level, control database), and a kick
 *    it receives is logged at debug;
 *  - `bucardo set log_level` takes the levels the rest does (warn too) and lists them all when refusing one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { repoRoot } from '../src/helpers/cli.js';
import { uniqueName } from '../src/helpers/databases.js';
import { standardPlugins } from '@bucardo/cli';
import { DaemonWorld, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type JsonLine = Record<string, unknown> & { msg: string };

const jsonLines = (file: string): JsonLine[] =>
  (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonLine);

/** A config file in its own directory under test/.tmp (resolving @bucardo/* from the repository). */
function configFile(body: string): string {
  const dir = path.join(repoRoot, 'test', '.tmp', uniqueName('logging'));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bucardo.config.ts');
  writeFileSync(file, `export default ${body};\n`);
  return file;
}

describe('the pino logger', () => {
  const world = new DaemonWorld(server, 'lgp');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('writes the daemon\'s lines where start --log-destination says, not to the file the plugin options name', async () => {
    const pluginFile = path.join(world.tempDir('pino'), 'pino.json');
    const config = configFile(`{ plugins: [['@bucardo/logger-pino', { destination: ${JSON.stringify(pluginFile)} }]], logger: 'pino' }`);
    const d = world.daemon();
    const pid = await d.start('--config', config);
    const file = path.join(d.logDir, 'log.bucardo.json');
    const started = await waitFor('the started line', async () => jsonLines(file).find((line) => line.msg.startsWith('Daemon ')));
    expect(started).toMatchObject({ role: 'daemon', pid, bucardoLevel: 'terse' });
    expect(jsonLines(pluginFile).filter((line) => line.role === 'daemon')).toEqual([]);
    // the next test's kick is to be run by the command itself, not by this daemon
    expect((await d.cli('stop')).code).toBe(0);
  });

  it('bucardo reopen: after the file was moved away (log rotation), the daemon writes to a new one by its name', async () => {
    const config = configFile(`{ plugins: ['@bucardo/logger-pino'], logger: 'pino' }`);
    await world.pair('rot', { autokick: false });
    const d = world.daemon();
    const pid = await d.start('--config', config);
    const file = path.join(d.logDir, 'log.bucardo.json');
    await waitFor('the started line', async () => jsonLines(file).find((line) => line.msg.startsWith('Daemon ')));
    // what logrotate does: the file renamed, then `postrotate bucardo reopen`
    const rotated = `${file}.1`;
    renameSync(file, rotated);
    const reopened = await d.cli('reopen');
    expect(reopened.stdout).toBe(`Asked Bucardo (PID ${pid}) to reopen its log files\n`);
    expect(reopened.code).toBe(0);
    const said = await waitFor('the reopen line in the new file', async () => jsonLines(file).find((line) => line.msg === 'Received SIGUSR2: log files opened again'));
    expect(said).toMatchObject({ role: 'daemon', pid });
    expect(await world.ok('kick', 'rot', '0')).toMatch(/DONE!/);
    expect(jsonLines(rotated).some((line) => line.msg === 'Received SIGUSR2: log files opened again')).toBe(false);
    expect((await d.cli('stop')).code).toBe(0);
    expect(jsonLines(file).some((line) => String(line.msg).startsWith('Received SIGTERM'))).toBe(true);
    expect(jsonLines(rotated).some((line) => String(line.msg).startsWith('Received SIGTERM'))).toBe(false);
    // with no daemon, reopen says so and exits 1
    const none = await d.cli('reopen');
    expect(none.stdout).toBe('Bucardo is not running: no log files to reopen\n');
    expect(none.code).toBe(1);
  });

  it('a command\'s lines go to stderr, not to the destination the config names', async () => {
    const pinoFile = path.join(world.tempDir('pino'), 'pino.json');
    const config = configFile(`{ plugins: ['@bucardo/logger-pino'], logger: 'pino', loggerOptions: { destination: ${JSON.stringify(pinoFile)} } }`);
    const { a } = await world.pair('cmd', { autokick: false });
    await world.insert(a, 1);
    const kicked = await world.bucardo('--config', config, 'kick', 'cmd', '0', '--log-level', 'normal');
    expect(kicked.code, kicked.stderr).toBe(0);
    const lines = kicked.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonLine);
    expect(lines.find((line) => line.msg.startsWith('Sync "cmd" good: 1 inserts'))).toMatchObject({ role: 'cli', sync: 'cmd', bucardoLevel: 'normal' });
    expect(existsSync(pinoFile)).toBe(false);
  });

  it('a failure\'s line carries its code as a field', async () => {
    const config = configFile(`{ plugins: ['@bucardo/logger-pino'], logger: 'pino' }`);
    const { a, b } = await world.pair('fcode', { autokick: false });
    await world.query(b.url, 'ALTER TABLE t ADD CONSTRAINT small CHECK (id < 100)');
    await world.insert(a, 500);
    const kicked = await world.bucardo('--config', config, 'kick', 'fcode', '0');
    expect(kicked.code).toBe(2);
    const lines = kicked.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonLine);
    expect(lines.find((line) => line.msg.startsWith('Sync "fcode" failed: '))).toMatchObject({ code: 'APPLY_FAILED', sync: 'fcode', bucardoLevel: 'warn' });
  });

  it.each([
    // refused by the plugin's factory: said of the plugin and the config file, the factory's code kept
    ['the plugin\'s options', `{ plugins: [['@bucardo/logger-pino', { destnation: '/tmp/x.json' }]], logger: 'pino' }`,
      'logger "pino": plugin options has an unknown option "destnation": did you mean "destination"?', true],
    ['loggerOptions', `{ plugins: ['@bucardo/logger-pino'], logger: 'pino', loggerOptions: { redcat: [] } }`,
      'logger "pino": loggerOptions has an unknown option "redcat": did you mean "redact"?', false],
  ])('an unknown option in %s is refused at start, naming it', async (_, body, message, byFactory) => {
    const d = world.daemon();
    const file = configFile(body);
    const result = await d.launch('start', '--config', file);
    expect(result.code).toBe(1);
    const plugin = path.join(repoRoot, 'plugins', 'logger-pino', 'dist', 'index.js');
    const said = byFactory ? `Cannot load plugin "@bucardo/logger-pino" (${plugin}) named in ${file}: its factory failed: ${message}` : message;
    expect(result.stderr).toBe(`ERROR: ${said} [CONFIG_INVALID]\n`);
    expect(d.pid()).toBeUndefined();
  });
});

describe('a daemon\'s failed attempt', () => {
  const world = new DaemonWorld(server, 'lgf');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('is one line: the failure, the retry and the code', async () => {
    const { a, b } = await world.pair('f');
    await world.query(b.url, 'ALTER TABLE t ADD CONSTRAINT small CHECK (id < 100)');
    const d = world.daemon();
    await d.start();
    await world.insert(a, 500);
    const line = await waitFor('the failure line', async () => d.log().split('\n').find((text) => text.includes('Sync "f" failed: ')));
    expect(line).toMatch(/ WARN DAEMON sync=f run=\d+ Sync "f" failed: new row for relation "t" violates check constraint "small" \(the row with key 500 from database "f_A"\) \(database "f_B", table public\.t\); retrying in 1 s \(attempt 1\) \[APPLY_FAILED\]$/);
    await waitFor('the second attempt', async () => d.log().includes('(attempt 2) [APPLY_FAILED]'));
    expect(d.log()).not.toContain('run failed');
  });
});

describe('the daemon\'s log', () => {
  const world = new DaemonWorld(server, 'lgd');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('starts with a banner: version, config, plugins, log level, control database (no password); kicks received are logged at debug', async () => {
    const { a, b } = await world.pair('k', { autokick: false });
    const config = configFile('{ batchSize: 500 }');
    const d = world.daemon();
    const pid = await d.start('--config', config, '--log-level', 'debug');
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'cli', 'package.json'), 'utf8')) as { version: string };
    const plugins = standardPlugins().map((plugin) => plugin.name).join(', ');
    const banner = await waitFor('the banner', async () => d.log().split('\n').find((line) => line.includes(' starting: ')));
    expect(banner).toMatch(new RegExp(`^\\(${pid}\\) \\[[^\\]]+\\] DAEMON Bucardo ${escape(version)} starting: config ${escape(config)}; `
      + `plugins ${escape(plugins)}; log level debug; control database "${world.control}" on ${escape(`${server.host}:${server.port}`)}$`));
    // the banner comes first, before the daemon's own start line
    expect(d.log().split('\n')[0]).toBe(banner);
    await world.owned(pid, ['k']);
    await world.insert(a, 1);
    expect((await d.cli('kick', 'k')).code).toBe(0);
    await world.arrives(b, [1]);
    await waitFor('the kick in the log', async () => d.log().includes('DAEMON sync=k Received a kick of sync "k" (NOTIFY bucardo_kick)'));
    if (server.password) expect(d.log()).not.toContain(server.password);
  });

  it('without a config file, says so', async () => {
    const d = world.daemon();
    await d.start();
    const banner = await waitFor('the banner', async () => d.log().split('\n').find((line) => line.includes(' starting: ')));
    expect(banner).toMatch(/ DAEMON Bucardo \S+ starting: config none; plugins [^;]+; log level normal; control database /);
  });
});

describe('log_level', () => {
  const world = new DaemonWorld(server, 'lgl');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('takes the levels --log-level and the config take, warn too, and a bad one is refused listing them all', async () => {
    const refused = await world.bucardo('set', 'log_level=loud');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ERROR: Setting log_level must be warn, terse, normal, verbose or debug, not "loud" [INVALID_ARGUMENT]\n');
    const flag = await world.bucardo('--log-level', 'loud', 'list', 'dbs');
    expect(flag.code).toBe(1);
    expect(flag.stderr).toBe('ERROR: --log-level must be warn, terse, normal, verbose or debug, not "loud" [INVALID_ARGUMENT]\n');

    expect(await world.ok('set', 'log_level=warn')).toBe('Set "log_level" to "warn"\n');
    // a daemon at warn: its warnings, none of its terse lines
    const { a, b } = await world.pair('w');
    await world.query(b.url, 'ALTER TABLE t ADD CONSTRAINT small CHECK (id < 100)');
    const d = world.daemon();
    const pid = await d.start();
    await world.insert(a, 500);
    await waitFor('the failure line', async () => d.log().includes('Sync "w" failed: '));
    expect(d.log()).not.toContain(`Daemon ${pid}@`);
    expect(d.log().split('\n').filter(Boolean).every((line) => line.includes(' WARN '))).toBe(true);
  });
});

describe('the text logger', () => {
  const world = new DaemonWorld(server, 'lgt');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  it('refuses an unknown option, naming it', async () => {
    const d = world.daemon();
    const result = await d.launch('start', '--config', configFile(`{ loggerOptions: { destinatons: ['stderr'] } }`));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('ERROR: logger "text": loggerOptions has an unknown option "destinatons": did you mean "destinations"? [CONFIG_INVALID]\n');
  });
});
