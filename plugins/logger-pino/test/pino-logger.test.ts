import { mkdtempSync, readFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogLevels, silentLogger, type BucardoPlugin, type LoggerFactory, type LogLevel, type PluginHost } from '@bucardo/plugin-sdk';
import { resolvePlugins } from '@bucardo/cli';
import loggerPinoDefault, { defaultRedact, loggerPino, pinoLogger } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bucardo-logger-pino-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const newFile = () => join(dir, `log-${++files}.json`);

type Line = Record<string, unknown> & { level: number; bucardoLevel: LogLevel; msg: string; time: number };

function linesOf(file: string): Line[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line);
}

/** The factory a plugin registers. */
async function factoryOf(plugin: BucardoPlugin): Promise<LoggerFactory> {
  let registered: LoggerFactory | undefined;
  await plugin.apply({ registerLogger: (factory: LoggerFactory) => { registered = factory; } } as unknown as PluginHost);
  expect(registered?.name).toBe('pino');
  return registered!;
}

const numbers: Record<LogLevel, number> = { warn: 40, terse: 35, normal: 30, verbose: 20, debug: 10 };

describe('levels', () => {
  it.each(LogLevels.map((threshold) => [threshold]))('threshold %s shows its level and the ones above it', (threshold) => {
    const file = newFile();
    const log = pinoLogger.create({ level: threshold, fields: {}, options: { destination: file } });
    for (const level of LogLevels) log.log(level, `at ${level}`);
    const expected = LogLevels.slice(0, LogLevels.indexOf(threshold) + 1);
    const lines = linesOf(file);
    expect(lines.map((line) => line.bucardoLevel)).toEqual(expected);
    expect(lines.map((line) => line.level)).toEqual(expected.map((level) => numbers[level]));
    expect(lines.map((line) => line.msg)).toEqual(expected.map((level) => `at ${level}`));
  });

  it('maps onto pino\'s numbers, with terse as the custom level 35', () => {
    const file = newFile();
    const log = pinoLogger.create({ level: 'debug', fields: {}, options: { destination: file } });
    for (const level of LogLevels) log.log(level, level);
    expect(Object.fromEntries(linesOf(file).map((line) => [line.bucardoLevel, line.level]))).toEqual(numbers);
  });
});

describe('fields', () => {
  it('carry time, the level, msg, the logger\'s fields, child bindings and per-line fields', () => {
    const file = newFile();
    const before = Date.now();
    const root = pinoLogger.create({ level: 'normal', fields: { role: 'cli' }, options: { destination: file } });
    const run = root.child({ sync: 's1', run: '42' });
    run.child({ db: 'A', table: 'public.t' }).log('normal', 'applied', { rows: 3, plugin: 'logger-pino' });
    run.log('warn', 'run done');
    root.log('terse', 'plain');
    const [applied, done, plain] = linesOf(file);
    expect(applied).toMatchObject({ level: 30, bucardoLevel: 'normal', msg: 'applied', role: 'cli', sync: 's1', run: '42', db: 'A', table: 'public.t', rows: 3, plugin: 'logger-pino' });
    expect(applied!.time).toBeGreaterThanOrEqual(before);
    expect(applied!.time).toBeLessThanOrEqual(Date.now());
    expect(done).toMatchObject({ level: 40, bucardoLevel: 'warn', msg: 'run done', role: 'cli', sync: 's1', run: '42' });
    expect(done).not.toHaveProperty('db');
    expect(plain).toMatchObject({ level: 35, bucardoLevel: 'terse', msg: 'plain', role: 'cli' });
    expect(plain).not.toHaveProperty('sync');
  });

  it('appear once when given both as a binding and on the line (the line wins)', () => {
    const file = newFile();
    pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } }).child({ db: 'A' }).log('normal', 'x', { db: 'B' });
    const text = readFileSync(file, 'utf8');
    expect(text.match(/"db":/g)).toHaveLength(1);
    expect(linesOf(file)[0]!.db).toBe('B');
  });

  it('serialize errors with their message and stack', () => {
    const file = newFile();
    pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } }).log('warn', 'failed', { error: new Error('boom') });
    expect(linesOf(file)[0]!.error).toMatchObject({ type: 'Error', message: 'boom', stack: expect.stringContaining('boom') });
  });
});

describe('destinations', () => {
  it('append to a file synchronously, creating its directory', () => {
    const file = join(dir, 'nested', 'deeper', 'bucardo.json');
    const log = pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } });
    log.log('normal', 'first');
    expect(linesOf(file).map((line) => line.msg)).toEqual(['first']); // read right after the call
    pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } }).log('normal', 'second');
    log.log('normal', 'third');
    expect(linesOf(file).map((line) => line.msg)).toEqual(['first', 'second', 'third']);
  });

  it('make the file and its directories readable by their user alone (the log names databases, roles and keys)', () => {
    const previous = process.umask(0o022);
    try {
      const file = join(dir, 'private', 'inner', 'bucardo.json');
      pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } }).log('normal', 'private');
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
      expect((statSync(join(dir, 'private', 'inner')).mode & 0o777).toString(8)).toBe('700');
      expect((statSync(join(dir, 'private')).mode & 0o777).toString(8)).toBe('700');
    } finally {
      process.umask(previous);
    }
  });

  it('write nothing with none', async () => {
    const log = pinoLogger.create({ level: 'debug', fields: {}, options: { destination: 'none' } });
    expect(log).toBe(silentLogger);
    log.log('warn', 'dropped');
    log.child({ sync: 's' }).log('warn', 'dropped too');
    await log.flush?.();
  });

  it('flush() resolves once the lines are written', async () => {
    const file = newFile();
    const log = pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } });
    log.log('normal', 'flushed');
    await log.flush!();
    expect(linesOf(file)).toHaveLength(1);
  });

  it('reject a destination or redact list of the wrong type', () => {
    expect(() => pinoLogger.create({ level: 'normal', fields: {}, options: { destination: 2 } })).toThrow(/destination must be/);
    expect(() => pinoLogger.create({ level: 'normal', fields: {}, options: { redact: 'password' } })).toThrow(/redact must be a list/);
  });
});

describe('destinations', () => {
  it('as every logger takes them: directories (the file log.bucardo.json in each, or fileName), stderr, none; each line to each', () => {
    const [one, two] = [join(dir, `dirs-${++files}`), join(dir, `dirs-${++files}`)];
    pinoLogger.create({ level: 'normal', fields: {}, options: { destinations: [one, 'none'] } }).log('normal', 'one');
    pinoLogger.create({ level: 'normal', fields: {}, options: { destinations: [one, two], fileName: 'b.json' } }).log('normal', 'both');
    expect(linesOf(join(one, 'log.bucardo.json')).map((line) => line.msg)).toEqual(['one']);
    expect(linesOf(join(one, 'b.json')).map((line) => line.msg)).toEqual(['both']);
    expect(linesOf(join(two, 'b.json')).map((line) => line.msg)).toEqual(['both']);
  });

  it('given in loggerOptions, win over the plugin\'s destination; the host\'s default is used only when nothing names one', async () => {
    const pluginFile = newFile();
    const [given, fallback] = [join(dir, `dirs-${++files}`), join(dir, `dirs-${++files}`)];
    const factory = await factoryOf(loggerPino({ destination: pluginFile }));
    factory.create({ level: 'normal', fields: {}, options: { destinations: [given] }, defaultDestinations: [fallback] }).log('normal', 'given');
    factory.create({ level: 'normal', fields: {}, options: {}, defaultDestinations: [fallback] }).log('normal', 'plugin');
    pinoLogger.create({ level: 'normal', fields: {}, options: {}, defaultDestinations: [fallback] }).log('normal', 'fallback');
    expect(linesOf(join(given, 'log.bucardo.json')).map((line) => line.msg)).toEqual(['given']);
    expect(linesOf(pluginFile).map((line) => line.msg)).toEqual(['plugin']);
    expect(linesOf(join(fallback, 'log.bucardo.json')).map((line) => line.msg)).toEqual(['fallback']);
  });

  it('an unknown option is CONFIG_INVALID naming it, in loggerOptions or in the plugin\'s options', () => {
    expect(() => pinoLogger.create({ level: 'normal', fields: {}, options: { destnation: 'x' } }))
      .toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', item: 'destnation', message: 'logger "pino": loggerOptions has an unknown option "destnation": did you mean "destination"?' }));
    expect(() => loggerPino({ colour: true } as never))
      .toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: 'logger "pino": plugin options has an unknown option "colour": the known options are destination, destinations, fileName, redact' }));
  });
});

describe('redaction', () => {
  it('hides password-like fields by default, at the top level and one object down', () => {
    const file = newFile();
    const log = pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file } });
    log.child({ password: 'bound-secret' }).log('normal', 'connect', { pass: 'line-secret', db: 'A', params: { host: 'h', password: 'nested-secret', pass: 'p' } });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/secret|"p"/);
    expect(linesOf(file)[0]).toMatchObject({ password: '[Redacted]', pass: '[Redacted]', db: 'A', params: { host: 'h', password: '[Redacted]', pass: '[Redacted]' } });
    expect(defaultRedact).toEqual(['password', 'pass', 'sslpassword', '*.password', '*.pass', '*.sslpassword']);
  });

  it('takes other paths, and [] turns it off', () => {
    const file = newFile();
    pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file, redact: ['token'] } }).log('normal', 'a', { token: 't', pass: 'visible' });
    pinoLogger.create({ level: 'normal', fields: {}, options: { destination: file, redact: [] } }).log('normal', 'b', { password: 'visible' });
    expect(linesOf(file).map(({ msg, token, pass, password }) => ({ msg, token, pass, password }))).toEqual([
      { msg: 'a', token: '[Redacted]', pass: 'visible', password: undefined },
      { msg: 'b', token: undefined, pass: undefined, password: 'visible' },
    ]);
  });
});

describe('the plugin', () => {
  it('takes defaults for the logger options, which loggerOptions override', async () => {
    const pluginFile = newFile();
    const configFile = newFile();
    const factory = await factoryOf(loggerPino({ destination: pluginFile, redact: ['secret'] }));
    factory.create({ level: 'normal', fields: {}, options: {} }).log('normal', 'to the plugin default', { secret: 's' });
    factory.create({ level: 'normal', fields: {}, options: { destination: configFile } }).log('normal', 'to the config', { secret: 's' });
    expect(linesOf(pluginFile)).toMatchObject([{ msg: 'to the plugin default', secret: '[Redacted]' }]);
    expect(linesOf(configFile)).toMatchObject([{ msg: 'to the config', secret: '[Redacted]' }]);
  });

  it('is the package\'s default export, loadable by name with options as a config names it', async () => {
    expect(loggerPinoDefault).toBe(loggerPino);
    const file = newFile();
    const plugins = await resolvePlugins([['@bucardo/logger-pino', { destination: file }]], undefined);
    const plugin = plugins.find((candidate) => candidate.name === 'logger-pino');
    expect(plugin).toBeDefined();
    (await factoryOf(plugin!)).create({ level: 'normal', fields: {}, options: {} }).log('normal', 'by name');
    expect(linesOf(file)).toMatchObject([{ msg: 'by name' }]);
    expect(existsSync(file)).toBe(true);
  });
});
