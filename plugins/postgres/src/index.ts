import { definePlugin, type BucardoPlugin, type DatabaseDriver, type DatabaseSpec, type OpenContext } from '@bucardo/plugin-sdk';
import { describeConnection, normalizeParams } from './connection-params.js';
import { connect } from './connect.js';
import { resolveOptions, type PostgresOptions } from './postgres-options.js';
import { PostgresSource } from './postgres-source.js';
import { PostgresTarget } from './postgres-target.js';
import { sqlAccess } from './sql-access.js';

export type { PostgresOptions } from './postgres-options.js';
export { SKIP_CAPTURE_SETTING, CAPTURE_SCHEMA, CAPTURE_TRIGGER } from './capture-names.js';

/** The PostgreSQL database type: a source (trigger capture) and a target (DELETE + COPY). */
export function postgres(options: PostgresOptions = {}): BucardoPlugin {
  const resolved = resolveOptions(options);
  const driver: DatabaseDriver = {
    type: 'postgres',
    aliases: ['pg', 'postgresql'],
    normalizeParams,
    describe: (spec) => describeConnection(spec),
    async ping(spec: DatabaseSpec, context: OpenContext) {
      const client = await connect(spec, context, resolved);
      await client.end();
    },
    source: new PostgresSource(resolved),
    target: new PostgresTarget(resolved),
    sql: sqlAccess(resolved),
  };
  return definePlugin({
    name: 'postgres',
    apply(host) {
      host.registerDatabase(driver);
    },
  });
}

export default postgres;
