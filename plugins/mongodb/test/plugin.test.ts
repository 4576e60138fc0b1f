/** The database type as the core sees it: registration, parameters, description, a failing ping, and when the driver loads. */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { silentLogger, type DatabaseDriver, type DatabaseSpec, type PluginHost } from '@bucardo/plugin-sdk';
import { repoRoot } from '@bucardo/test';
import { mongodb } from '../src/index.js';
import { connectionUrl, databaseName, describeConnection, normalizeParams } from '../src/connection-params.js';
import { defaultCollection, resolveOptions, settingsFor } from '../src/mongodb-options.js';

function registered(plugin = mongodb()): DatabaseDriver {
  const drivers: DatabaseDriver[] = [];
  const host = { registerDatabase: (driver: DatabaseDriver) => drivers.push(driver) } as unknown as PluginHost;
  void plugin.apply(host);
  expect(drivers).toHaveLength(1);
  return drivers[0]!;
}

const spec = (params: Record<string, string>, name = 'm1'): DatabaseSpec => ({ name, type: 'mongo', params: normalizeParams(params) });

describe('registration', () => {
  it('registers type mongo (alias mongodb) as a target only, with static capabilities', () => {
    const driver = registered();
    expect(mongodb().name).toBe('target-mongodb');
    expect(driver.type).toBe('mongo');
    expect(driver.aliases).toEqual(['mongodb']);
    expect(driver.source).toBeUndefined();
    expect(driver.target?.capabilities).toEqual({ transactions: false, truncate: true, localChangeGuard: false, schema: false });
  });

  it('checks its options', () => {
    expect(() => mongodb({ chunkSize: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', item: 'chunkSize' }));
    expect(() => mongodb({ collections: { items: 'system.x' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', item: 'items' }));
    expect(resolveOptions()).toMatchObject({ omitNulls: false, chunkSize: 1000, serverSelectionTimeoutMS: 5000, transactions: true });
  });
});

describe('normalizeParams', () => {
  it('takes Bucardo spellings, in any case', () => {
    expect(normalizeParams({ dbname: 'shop', host: 'mongo1', port: '27018', user: 'u', pass: 'secret' }))
      .toEqual({ dbname: 'shop', host: 'mongo1', port: '27018', user: 'u', pass: 'secret' });
    expect(normalizeParams({ DB: 'shop', dbhost: 'h', DBPORT: '1', username: 'u', password: 'p', AuthSource: 'admin', replicaset: 'rs0', ssl: 'yes' }))
      .toEqual({ dbname: 'shop', host: 'h', port: '1', user: 'u', pass: 'p', authSource: 'admin', replicaSet: 'rs0', tls: 'true' });
    expect(normalizeParams({ url: 'mongodb+srv://u:p@cluster0.example.net/shop?retryWrites=true' })).toEqual({ url: 'mongodb+srv://u:p@cluster0.example.net/shop?retryWrites=true' });
    expect(normalizeParams({ dsn: 'mongodb://a:1,b:2/?replicaSet=rs0', dbname: 'shop' })).toEqual({ url: 'mongodb://a:1,b:2/?replicaSet=rs0', dbname: 'shop' });
    expect(normalizeParams({ dbname: 'shop', collections: 'items:stock,sales.orders:orders', omitnulls: 'on', chunksize: '500' }))
      .toEqual({ dbname: 'shop', collections: 'items:stock,sales.orders:orders', omitNulls: 'true', chunkSize: '500' });
  });

  it.each([
    [{ dbname: 'shop', colour: 'red' }, 'colour'],
    [{ host: 'h' }, 'dbname'],
    [{ url: 'mongodb://h:27017/' }, 'dbname'],
    [{ dbname: 'shop', port: 'x' }, 'port'],
    [{ dbname: 'shop', host: 'a b' }, 'host'],
    [{ dbname: 'sh.op' }, 'dbname'],
    [{ dbname: 'shop', pass: 'p' }, 'pass'],
    [{ url: 'postgres://h/shop' }, 'url'],
    [{ url: 'mongodb://h/shop', host: 'other' }, 'host'],
    [{ url: 'mongodb://h/shop', authSource: 'admin' }, 'authSource'],
    [{ url: 'mongodb://h/bad.name' }, 'url'],
    [{ dbname: 'shop', omitNulls: 'sometimes' }, 'omitNulls'],
    [{ dbname: 'shop', chunkSize: '0' }, 'chunkSize'],
    [{ dbname: 'shop', chunkSize: '-5' }, 'chunkSize'],
    [{ dbname: 'shop', collections: 'items' }, 'collections'],
    [{ dbname: 'shop', collections: 'items:$bad' }, 'collections'],
    [{ dbname: 'shop', tls: 'maybe' }, 'tls'],
  ])('%j: INVALID_ARGUMENT naming %s', (params, key) => {
    expect(() => normalizeParams(params)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', item: key }));
  });

  it('does not repeat a password in its messages', () => {
    try {
      normalizeParams({ url: 'http://u:topsecret@h/shop' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('topsecret');
    }
  });
});

describe('connection string, description', () => {
  it('builds the URL from the parts (password encoded), or takes url as given', () => {
    expect(connectionUrl(spec({ dbname: 'shop' }))).toBe('mongodb://localhost:27017/');
    expect(connectionUrl(spec({ dbname: 'shop', host: 'h1,h2:27018', port: '27019', user: 'a@b', pass: 'p:/?#@', authSource: 'admin', replicaSet: 'rs0' })))
      .toBe('mongodb://a%40b:p%3A%2F%3F%23%40@h1:27019,h2:27018/?authSource=admin&replicaSet=rs0');
    expect(connectionUrl(spec({ dbname: 'shop', host: '[::1]:1234' }))).toBe('mongodb://[::1]:1234/');
    expect(connectionUrl(spec({ url: 'mongodb://h/other' }))).toBe('mongodb://h/other');
    expect(databaseName(spec({ url: 'mongodb://h/other' }))).toBe('other');
    expect(databaseName(spec({ url: 'mongodb://h/other', dbname: 'shop' }))).toBe('shop');
  });

  it('describe never shows the password', () => {
    const driver = registered();
    expect(driver.describe(spec({ dbname: 'shop', host: 'h', port: '1', user: 'u', pass: 'topsecret' }))).toBe('mongo mongodb://u:*****@h:1/shop');
    expect(driver.describe(spec({ dbname: 'shop' }))).toBe('mongo mongodb://localhost:27017/shop');
    expect(driver.describe(spec({ dbname: 'shop', authSource: 'admin' }))).toBe('mongo mongodb://localhost:27017/shop?authSource=admin');
    expect(driver.describe(spec({ url: 'mongodb://u:topsecret@h/shop' }))).toBe('mongo mongodb://u:*****@h/shop');
    expect(describeConnection(spec({ url: 'mongodb://h/', dbname: 'shop' }))).toBe('mongo mongodb://h/ (database shop)');
  });
});

describe('collection names', () => {
  it('default, plugin option, database parameter', () => {
    expect(defaultCollection({ schema: 'public', name: 'items' })).toBe('items');
    expect(defaultCollection({ schema: 'sales', name: 'orders' })).toBe('sales.orders');
    const settings = settingsFor(resolveOptions({ collections: { items: 'stock', '"My Schema"."Order Lines"': 'lines' } }), normalizeParams({ dbname: 'x', collections: 'public.items:goods' }));
    expect(settings.collectionFor({ schema: 'public', name: 'items' })).toBe('goods');
    expect(settings.collectionFor({ schema: 'My Schema', name: 'Order Lines' })).toBe('lines');
    expect(settings.collectionFor({ schema: 'a', name: 'b' })).toBe('a.b');
  });
});

describe('ping', () => {
  it('an unreachable server: CONNECTION_FAILED naming the database, without the password, within the timeout', async () => {
    const port = await closedPort();
    const driver = registered(mongodb({ serverSelectionTimeoutMS: 300 }));
    const started = Date.now();
    const error = await driver.ping(spec({ dbname: 'shop', host: '127.0.0.1', port: String(port), user: 'u', pass: 'topsecret' }), { log: silentLogger, label: 'test' }).then(() => undefined, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', db: 'm1' });
    expect((error as Error).message).toContain('"m1"');
    expect((error as Error).message).toContain(`127.0.0.1:${port}/shop`);
    expect((error as Error).message).not.toContain('topsecret');
  });

  it('opening a target session fails the same way', async () => {
    const port = await closedPort();
    const driver = registered(mongodb({ serverSelectionTimeoutMS: 300 }));
    await expect(driver.target!.open(spec({ dbname: 'shop', host: '127.0.0.1', port: String(port) }, 'm2'), { log: silentLogger, label: 'test' }))
      .rejects.toMatchObject({ code: 'CONNECTION_FAILED', db: 'm2' });
  });
});

describe('the driver', () => {
  it('is not loaded by the bucardo command until a MongoDB database is pinged or opened', async () => {
    const port = await closedPort();
    // in a process of its own: the driver (CommonJS) shows in the require cache once loaded
    const script = `
      import { createRequire } from 'node:module';
      import { silentLogger } from '@bucardo/plugin-sdk';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/mongodb/'));
      await import('@bucardo/cli');
      const before = loaded();
      const { mongodb } = await import('@bucardo/target-mongodb/plugin');
      let driver;
      mongodb({ serverSelectionTimeoutMS: 300 }).apply({ registerDatabase: (registered) => { driver = registered; } });
      const spec = { name: 'm1', type: 'mongo', params: { dbname: 'shop', host: '127.0.0.1', port: '${port}' } };
      const context = { log: silentLogger, label: 'test' };
      const pinged = await driver.ping(spec, context).then(() => 'reached', (error) => error.code);
      const afterPing = loaded();
      const opened = await driver.target.open(spec, context).then(() => 'opened', (error) => error.code);
      console.log(JSON.stringify({ before, pinged, afterPing, opened }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot });
    expect(JSON.parse(stdout)).toEqual({ before: false, pinged: 'CONNECTION_FAILED', afterPing: true, opened: 'CONNECTION_FAILED' });
  });
});

/** A port nothing listens on: bound, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
