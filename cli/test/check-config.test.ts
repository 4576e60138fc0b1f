import { describe, expect, it } from 'vitest';
import { closestName, definePlugin } from '@bucardo/plugin-sdk';
import { checkConfig, showValue } from '../src/check-config.js';

const KNOWN = ['plugins', 'control', 'logLevel', 'logger', 'loggerOptions', 'batchSize', 'partitionSize', 'refreshAbove', 'pidDir'];
const plugin = definePlugin({ name: 'p', apply() {} });

describe('checkConfig', () => {
  it('takes every field the config type declares, set to what it allows', () => {
    expect(checkConfig({})).toBeUndefined();
    expect(checkConfig({
      plugins: [plugin, 'bucardo-plugin-x', ['bucardo-plugin-y'], ['bucardo-plugin-z', { fsync: false }], false, null, undefined, 0, ''],
      control: { dbname: 'bucardo', host: '/tmp', port: 5433, user: 'me', password: '', service: 'ctl', sslmode: 'verify-full', sslrootcert: 'system', sslcert: '/c.crt', sslkey: '/c.key', sslpassword: 'x' },
      logLevel: 'verbose', logger: 'text', loggerOptions: { destinations: ['stderr'] },
      batchSize: 1000, partitionSize: 50_000, refreshAbove: 0.5, pidDir: '/run/bucardo',
    })).toBeUndefined();
    // unset is unset, whichever way it is written
    expect(checkConfig({ logLevel: undefined, control: { port: undefined } })).toBeUndefined();
  });

  it.each([
    ['logLevel', 'shouty', 'one of warn, terse, normal, verbose, debug'],
    ['logLevel', 'VERBOSE', 'one of warn, terse, normal, verbose, debug'],
    ['logger', '', 'a logger name (a non-empty string)'],
    ['logger', null, 'a logger name (a non-empty string)'],
    ['loggerOptions', 'stderr', 'an object'],
    ['loggerOptions', ['stderr'], 'an object'],
    ['batchSize', 'lots', 'a whole number above 0'],
    ['partitionSize', 0, 'a whole number above 0'],
    ['refreshAbove', -1, "a number above 0 (a fraction of a table's rows, such as 0.5)"],
    ['pidDir', 42, 'a directory (a non-empty string)'],
    ['control', 'bucardo', 'an object'],
    ['plugins', 'postgres', 'a list, each entry a plugin object, a package name, or [package name, options object]'],
  ])('refuses %s set to %j, naming the field and the rule', (field, value, rule) => {
    expect(checkConfig({ [field]: value })).toEqual({ kind: 'value', field, value, rule });
  });

  it.each([
    [{ dbname: '' }, 'control.dbname', '', 'a non-empty string'],
    [{ host: 5 }, 'control.host', 5, 'a non-empty string'],
    [{ port: '5432' }, 'control.port', '5432', 'a port number (a whole number from 1 to 65535)'],
    [{ port: 70_000 }, 'control.port', 70_000, 'a port number (a whole number from 1 to 65535)'],
    [{ user: null }, 'control.user', null, 'a non-empty string'],
    [{ password: 1234 }, 'control.password', 1234, 'a string'],
    [{ service: '' }, 'control.service', '', 'a service name of the service file (a non-empty string)'],
    [{ sslmode: 'prefer' }, 'control.sslmode', 'prefer', 'one of disable, require, verify-ca, verify-full'],
    [{ sslrootcert: 'certs/ca.pem' }, 'control.sslrootcert', 'certs/ca.pem', 'an absolute path, or system'],
    [{ sslcert: 'system' }, 'control.sslcert', 'system', 'an absolute path'],
    [{ sslkey: 'client.key' }, 'control.sslkey', 'client.key', 'an absolute path'],
    [{ sslpassword: 1234 }, 'control.sslpassword', '(a number, not shown)', 'a non-empty string'],
  ])('refuses control %j, naming control.FIELD', (control, field, value, rule) => {
    expect(checkConfig({ control })).toEqual({ kind: 'value', field, value, rule });
  });

  it('refuses a plugin entry that is none of the allowed forms, naming its position', () => {
    expect(checkConfig({ plugins: [plugin, true] })).toMatchObject({ field: 'plugins[1]', value: true, rule: 'a plugin object, a package name, or [package name, options object]' });
    expect(checkConfig({ plugins: [['x', 'fast']] })).toMatchObject({ field: 'plugins[0]', rule: '[package name, options object]' });
    expect(checkConfig({ plugins: [['x', {}, {}]] })).toMatchObject({ field: 'plugins[0]', rule: '[package name, options object]' });
    expect(checkConfig({ plugins: [[]] })).toMatchObject({ field: 'plugins[0]', rule: '[package name, options object]' });
    function postgres(): void {}
    expect(checkConfig({ plugins: [postgres] })).toMatchObject({
      field: 'plugins[0]', rule: 'a plugin object, a package name, or [package name, options object], not a function (call the plugin factory: postgres())',
    });
  });

  it('refuses an unknown key, with the closest known one when it looks like a typo, else the known ones', () => {
    expect(checkConfig({ refreshabove: 0.5 })).toEqual({ kind: 'unknown', field: 'refreshabove', known: KNOWN, closest: 'refreshAbove' });
    expect(checkConfig({ frobnicate: true })).toEqual({ kind: 'unknown', field: 'frobnicate', known: KNOWN });
    expect(checkConfig({ loglevel: 'verbose', logLevel: 'shouty' })).toMatchObject({ kind: 'unknown', field: 'loglevel', closest: 'logLevel' });
    expect(checkConfig({ control: { hots: 'db' } })).toEqual({
      kind: 'unknown', field: 'control.hots', known: ['control.dbname', 'control.host', 'control.port', 'control.user', 'control.password', 'control.service', 'control.sslmode', 'control.sslrootcert', 'control.sslcert', 'control.sslkey', 'control.sslpassword'], closest: 'control.host',
    });
  });
});

describe('closestName', () => {
  it('forgives case, a letter or two, and swapped neighbours; not a different word', () => {
    expect(closestName('batchsize', KNOWN)).toBe('batchSize');
    expect(closestName('loggers', KNOWN)).toBe('logger');
    expect(closestName('plugin', KNOWN)).toBe('plugins');
    expect(closestName('partitonSize', KNOWN)).toBe('partitionSize');
    expect(closestName('pidDri', KNOWN)).toBe('pidDir');
    expect(closestName('frobnicate', KNOWN)).toBeUndefined();
    expect(closestName('db', ['dbname', 'host', 'port'])).toBeUndefined();
  });
});

describe('showValue', () => {
  it('shows JSON where it can', () => {
    expect(showValue('loud')).toBe('"loud"');
    expect(showValue(null)).toBe('null');
    expect(showValue(['x', 3])).toBe('["x",3]');
    expect(showValue(() => 1)).toBe('a function');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(showValue(cyclic)).toBe('an object');
    expect(showValue(10n)).toBe('10');
  });
});
