import { describe, expect, it } from 'vitest';
import { parseArgv } from '../src/argv.js';

describe('parseArgv', () => {
  it('splits verb, nouns and key=value params, with options anywhere', () => {
    const parsed = parseArgv(['add', 'sync', 'foobar', 'herd=therd', 'DBS=tgroup', '--log-level', 'verbose', 'ping=false']);
    expect(parsed.verb).toBe('add');
    expect(parsed.words).toEqual(['sync', 'foobar']);
    expect(parsed.params).toEqual({ herd: 'therd', dbs: 'tgroup', ping: 'false' });
    expect(parsed.options.logLevel).toBe('verbose');
  });

  it('splits verb_noun as Bucardo does', () => {
    expect(parseArgv(['add_db', 't1', 'dbname=x'])).toMatchObject({ verb: 'add', words: ['db', 't1'], params: { dbname: 'x' } });
  });

  it('reads Bucardo\'s control database options', () => {
    expect(parseArgv(['-d', 'ctl', '-h', 'db.example', '-p', '5433', '-U', 'me', 'status']).options)
      .toMatchObject({ dbName: 'ctl', dbHost: 'db.example', dbPort: 5433, dbUser: 'me' });
  });

  it('rejects unknown options and bad values with coded errors', () => {
    expect(() => parseArgv(['--frobnicate'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseArgv(['--log-level', 'loud', 'status'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseArgv(['-p', 'x'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
