/**
 * BUCARDO_TEST_PG_URL parsing and URL building: what the CLI and the tests connect with.
 */
import { describe, expect, it } from 'vitest';
import { connectionUrl, serverFromUrl } from '../src/fixtures/pg-server.js';

describe('serverFromUrl', () => {
  it('reads every part, decoding escapes, and keeps the query', () => {
    const s = serverFromUrl('postgresql://bob:p%40ss%3Aw@db.example:6543/main?sslmode=require');
    expect(s).toMatchObject({ host: 'db.example', port: 6543, user: 'bob', password: 'p@ss:w', database: 'main', source: 'env' });
    expect(s.url('other')).toBe('postgres://bob:p%40ss%3Aw@db.example:6543/other?sslmode=require');
    expect(s.url()).toBe('postgres://bob:p%40ss%3Aw@db.example:6543/main?sslmode=require');
  });

  it('defaults the port and database like libpq, and never stops an external server', async () => {
    const s = serverFromUrl('postgres://alice@127.0.0.1');
    expect(s).toMatchObject({ port: 5432, user: 'alice', database: 'postgres' });
    await expect(s.stop()).resolves.toBeUndefined();
  });

  it('rejects a URL that is not PostgreSQL', () => {
    expect(() => serverFromUrl('mysql://x@y/z')).toThrow(/postgres:\/\//);
  });

  it('brackets IPv6 hosts', () => {
    const info = { host: '::1', port: 5, user: 'u', password: '', database: 'd', source: 'env' as const };
    expect(connectionUrl(info)).toBe('postgres://u@[::1]:5/d');
  });
});
