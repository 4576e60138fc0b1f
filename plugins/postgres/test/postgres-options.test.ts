/**
 * The plugin's options without a server: defaults, the text-stability settings that always apply, and
 * values of the wrong kind refused as CONFIG_INVALID naming the option (the CLI path of a bad value is in
 * test/e2e/apply-as-replica.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { TEXT_STABLE_SETTINGS, resolveOptions, type PostgresOptions } from '../src/postgres-options.js';
import { PostgresTarget } from '../src/postgres-target.js';

describe('resolveOptions', () => {
  it('defaults: 10 s to connect, the text-stability settings, not as a replica', () => {
    expect(resolveOptions()).toEqual({ connectTimeout: 10, sessionSettings: TEXT_STABLE_SETTINGS, applyAsReplica: false });
  });

  it("keeps the user's settings beside the text-stability ones", () => {
    const resolved = resolveOptions({ connectTimeout: 2.5, sessionSettings: { statement_timeout: '0' }, applyAsReplica: true });
    expect(resolved).toEqual({ connectTimeout: 2.5, sessionSettings: { ...TEXT_STABLE_SETTINGS, statement_timeout: '0' }, applyAsReplica: true });
  });

  it.each([
    [{ applyAsReplica: 'yes' }, 'applyAsReplica', 'postgres: applyAsReplica must be true or false, not yes'],
    [{ connectTimeout: 0 }, 'connectTimeout', 'postgres: connectTimeout must be a number of seconds above 0 and at most 2147483, not 0'],
    [{ connectTimeout: '5' }, 'connectTimeout', 'postgres: connectTimeout must be a number of seconds above 0 and at most 2147483, not 5'],
    [{ connectTimeout: Infinity }, 'connectTimeout', 'postgres: connectTimeout must be a number of seconds above 0 and at most 2147483, not Infinity'],
    [{ connectTimeout: 2_147_484 }, 'connectTimeout', 'postgres: connectTimeout must be a number of seconds above 0 and at most 2147483, not 2147484'],
    [{ sessionSettings: ['a'] }, 'sessionSettings', 'postgres: sessionSettings must be an object of setting names and values'],
    [{ sessionSettings: { statement_timeout: 0 } }, 'sessionSettings', 'postgres: sessionSettings.statement_timeout must be a string, not 0'],
  ])('refuses %j as CONFIG_INVALID naming %s', (options, item, message) => {
    expect(() => resolveOptions(options as unknown as PostgresOptions)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', plugin: 'postgres', item, message }));
  });

  it('the writer checks foreign keys (capability foreignKeys) unless it writes as a replica, by applyAsReplica or the setting itself', () => {
    expect(new PostgresTarget(resolveOptions()).capabilities.foreignKeys).toBe(true);
    expect(new PostgresTarget(resolveOptions({ applyAsReplica: true })).capabilities.foreignKeys).toBe(false);
    expect(new PostgresTarget(resolveOptions({ sessionSettings: { session_replication_role: 'REPLICA' } })).capabilities.foreignKeys).toBe(false);
    expect(new PostgresTarget(resolveOptions({ sessionSettings: { session_replication_role: 'origin' } })).capabilities.foreignKeys).toBe(true);
  });
});
