/**
 * The text logger's options and lines: destinations (the host's default only when none is named), an
 * unknown option refused naming it, and a failure's code at the end of its line.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { textLoggerFactory } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bucardo-logger-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (...parts: string[]): string => readFileSync(join(dir, ...parts), 'utf8');

it('writes to each directory of destinations; the host\'s default destinations only when the options name none', () => {
  textLoggerFactory.create({ level: 'normal', fields: {}, options: { destinations: [join(dir, 'a'), 'none'] }, defaultDestinations: [join(dir, 'default')] })
    .log('normal', 'to a');
  textLoggerFactory.create({ level: 'normal', fields: {}, options: { fileName: 'x.log' }, defaultDestinations: [join(dir, 'default')] })
    .log('normal', 'to the default');
  expect(read('a', 'log.bucardo')).toMatch(/\] to a\n$/);
  expect(read('default', 'x.log')).toMatch(/\] to the default\n$/);
});

it('makes the log file and its directories readable by their user alone (the log names databases, roles and keys)', () => {
  const previous = process.umask(0o022);
  try {
    textLoggerFactory.create({ level: 'normal', fields: {}, options: { destinations: [join(dir, 'private', 'inner')] } }).log('normal', 'private');
    expect((statSync(join(dir, 'private', 'inner', 'log.bucardo')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(dir, 'private', 'inner')).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(join(dir, 'private')).mode & 0o777).toString(8)).toBe('700');
  } finally {
    process.umask(previous);
  }
});

it('ends a line that has a code with it, as status shows it', () => {
  const log = textLoggerFactory.create({ level: 'normal', fields: { role: 'daemon' }, options: { destinations: [join(dir, 'code')] } });
  log.child({ sync: 'm', run: '20' }).log('warn', 'Sync "m" failed: columns differ; retrying in 2 s (attempt 2)', { code: 'TABLE_COLUMNS_MISMATCH' });
  expect(read('code', 'log.bucardo')).toMatch(/\] WARN DAEMON sync=m run=20 Sync "m" failed: columns differ; retrying in 2 s \(attempt 2\) \[TABLE_COLUMNS_MISMATCH\]\n$/);
});

it('refuses an option it does not know, naming it and the one it most likely meant', () => {
  expect(() => textLoggerFactory.create({ level: 'normal', fields: {}, options: { destinatons: ['stderr'] } })).toThrow(expect.objectContaining({
    code: 'CONFIG_INVALID', plugin: 'logger-text', item: 'destinatons',
    message: 'logger "text": loggerOptions has an unknown option "destinatons": did you mean "destinations"?',
  }));
  expect(() => textLoggerFactory.create({ level: 'normal', fields: {}, options: { colour: true } }))
    .toThrow('logger "text": loggerOptions has an unknown option "colour": the known options are destinations, destination, fileName');
  expect(() => textLoggerFactory.create({ level: 'normal', fields: {}, options: { destinations: 'stderr' } })).toThrow(/destinations must be a list/);
});
