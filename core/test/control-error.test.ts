import { describe, expect, it } from 'vitest';
import { BucardoError } from '@bucardo/plugin-sdk';
import { controlError, isControlLost } from '../src/control/control-connection.js';

/** An error as node-postgres gives it: the message and the SQLSTATE in `code`. */
const pgError = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('controlError', () => {
  it('a lost connection names the control database, keeping the driver\'s words and the SQLSTATE', () => {
    const reset = controlError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'ctl');
    expect(reset).toMatchObject({ code: 'CONNECTION_FAILED', db: 'ctl', message: 'Lost the connection to the control database "ctl": read ECONNRESET' });
    const ended = controlError(pgError('terminating connection due to administrator command', '57P01'), 'ctl');
    expect(ended).toMatchObject({ code: 'CONNECTION_FAILED', db: 'ctl', sqlstate: '57P01' });
    expect(controlError(new Error('Connection terminated unexpectedly'), 'ctl')).toMatchObject({ code: 'CONNECTION_FAILED' });
    // the core's own node-postgres client: its words are known here, and no plugin marks them
    expect(controlError(new Error('Client has encountered a connection error and is not queryable'), 'ctl')).toMatchObject({ code: 'CONNECTION_FAILED', db: 'ctl' });
  });

  it('a lost control connection is told apart from a replicated database of the same name', () => {
    expect(isControlLost(controlError(new Error('Connection terminated unexpectedly'), 'ctl'))).toBe(true);
    expect(isControlLost(controlError(pgError('relation "bucardo.sync" does not exist', '42P01'), 'ctl'))).toBe(false);
    expect(isControlLost(new BucardoError('CONNECTION_FAILED', 'Lost the connection to database "ctl": read ECONNRESET', { db: 'ctl' }))).toBe(false);
  });

  it('a missing table added after the first version is an older schema: run bucardo install', () => {
    const error = controlError(pgError('relation "bucardo.reload_request" does not exist', '42P01'), 'ctl');
    expect(error).toMatchObject({ code: 'CONTROL_NOT_INSTALLED', db: 'ctl', sqlstate: '42P01' });
    expect((error as Error).message).toBe('The Bucardo schema in control database "ctl" is older than this version (relation "bucardo.reload_request" does not exist): run "bucardo install" to bring it up to date; its data is kept');
  });

  it('a missing added column in the wording of an INSERT or UPDATE is an older schema too', () => {
    const error = controlError(pgError('column "lease_ms" of relation "daemon" does not exist', '42703'), 'ctl');
    expect(error).toMatchObject({ code: 'CONTROL_NOT_INSTALLED', db: 'ctl', sqlstate: '42703' });
    expect((error as Error).message).toBe('The Bucardo schema in control database "ctl" is older than this version (column "lease_ms" of relation "daemon" does not exist): run "bucardo install" to bring it up to date; its data is kept');
    expect(controlError(pgError('column d.lease_ms does not exist', '42703'), 'ctl')).toMatchObject({ code: 'CONTROL_NOT_INSTALLED' });
  });

  it('a missing column that was there from the first version is passed on as it is, in either wording', () => {
    for (const message of ['column "conflict_strategy" of relation "sync" does not exist', 'column "conflict_strategy" does not exist']) {
      const original = pgError(message, '42703');
      expect(controlError(original, 'ctl')).toBe(original);
    }
  });

  it('any other missing bucardo table is no schema at all', () => {
    const error = controlError(pgError('relation "bucardo.sync" does not exist', '42P01'), 'ctl');
    expect(error).toMatchObject({ code: 'CONTROL_NOT_INSTALLED', message: 'The control database "ctl" has no Bucardo schema: run "bucardo install" first' });
  });
});
