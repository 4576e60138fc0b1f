/**
 * A database without sslmode= leaves TLS to PGSSLMODE, which node-postgres reads, and takes a value it does
 * not know for plain text: the plugin refuses such a value before it connects, naming the variable (the
 * core's control connection does too, so through the CLI that is what says it first).
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '@bucardo/plugin-sdk';
import { dbParamsOn, serverFromInfo } from '@bucardo/test';
import { registeredDriver } from './support/driver.js';

const server = serverFromInfo(inject('pg'));
const saved = process.env.PGSSLMODE;

afterEach(() => {
  if (saved === undefined) delete process.env.PGSSLMODE;
  else process.env.PGSSLMODE = saved;
});

describe('PGSSLMODE', () => {
  it('a value node-postgres does not know is refused, naming the variable and the database; sslmode= of the database goes first', async () => {
    const driver = registeredDriver();
    const spec = (params: Record<string, string>) => ({ name: 'envdb', type: 'postgres', params: driver.normalizeParams({ ...dbParamsOn(server, 'postgres'), ...params }) });
    process.env.PGSSLMODE = 'requir';
    await expect(driver.ping(spec({}), { log: silentLogger, label: 'test' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT', item: 'PGSSLMODE', db: 'envdb',
      message: 'The environment variable PGSSLMODE is "requir", which is not one of disable, prefer, require, verify-ca, verify-full, no-verify: node-postgres would connect without TLS. Correct it, or unset it for no TLS',
    });
    // the database's own sslmode= is used, and the variable is not read
    await expect(driver.ping(spec({ sslmode: 'disable' }), { log: silentLogger, label: 'test' })).resolves.not.toThrow();
  });

  it('a url= that says sslmode= or ssl= is not refused: node-postgres takes its mode and never reads the variable', async () => {
    const driver = registeredDriver();
    const spec = (url: string) => ({ name: 'urldb', type: 'postgres', params: driver.normalizeParams({ url }) });
    process.env.PGSSLMODE = 'requir';
    for (const query of ['sslmode=disable', 'ssl=0']) {
      await expect(driver.ping(spec(`${server.url('postgres')}${server.url('postgres').includes('?') ? '&' : '?'}${query}`), { log: silentLogger, label: 'test' })).resolves.not.toThrow();
    }
    // a url= without either still leaves TLS to the variable, and is refused
    await expect(driver.ping(spec(server.url('postgres')), { log: silentLogger, label: 'test' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', item: 'PGSSLMODE', db: 'urldb' });
  });
});
