import { describe, expect, it } from 'vitest';
import { controlError } from '../src/control/control-connection.js';

/** An error as node-postgres gives it: the message and the SQLSTATE in `code`. */
const pgError = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('controlError', () => {
  it('a missing table added after the first version is an older schema: run bucardo install', () => {
    const error = controlError(pgError('relation "bucardo.reload_request" does not exist', '42P01'), 'ctl');
    expect(error).toMatchObject({ code: 'CONTROL_NOT_INSTALLED', db: 'ctl', sqlstate: '42P01' });
    expect((error as Error).message).toBe('The Bucardo schema in control database "ctl" is older than this version (relation "bucardo.reload_request" does not exist): run "bucardo install" to bring it up to date; its data is kept');
  });

  it('any other missing bucardo table is no schema at all', () => {
    const error = controlError(pgError('relation "bucardo.sync" does not exist', '42P01'), 'ctl');
    expect(error).toMatchObject({ code: 'CONTROL_NOT_INSTALLED', message: 'The control database "ctl" has no Bucardo schema: run "bucardo install" first' });
  });
});
