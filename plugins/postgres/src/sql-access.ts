import type { DatabaseSpec, OpenContext, SqlAccess, SqlConnection } from '@bucardo/plugin-sdk';
import { connect } from './connect.js';
import type { ResolvedPostgresOptions } from './postgres-options.js';

/**
 * Plain connections for applyFailed taps (`args.connect`): connected as the run's sessions are (the same
 * parameters, password sources, TLS and session settings), but never marked as the sync's writing, so
 * a row a tap fixes is captured on a source like an application's change, and each statement commits
 * by itself unless the tap opens a transaction.
 */
export function sqlAccess(options: ResolvedPostgresOptions): SqlAccess {
  return {
    async connect(spec: DatabaseSpec, context: OpenContext): Promise<SqlConnection> {
      const client = await connect(spec, context, options);
      return {
        async query(text, values) {
          const result = await client.query(text, values === undefined ? undefined : [...values]);
          return { rows: result.rows as Array<Record<string, unknown>>, rowCount: result.rowCount ?? 0 };
        },
        close: () => client.end().catch(() => undefined),
      };
    },
  };
}
