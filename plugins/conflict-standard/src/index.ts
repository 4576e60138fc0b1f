import { definePlugin, type BucardoPlugin } from '@bucardo/plugin-sdk';
import { latest } from './latest.js';

export { latest, newest } from './latest.js';

/** Registers the standard conflict strategies: `latest` (also reachable as Bucardo's `bucardo_latest`). */
export function conflictStandard(): BucardoPlugin {
  return definePlugin({
    name: 'conflict-standard',
    apply(host) {
      host.registerConflictStrategy(latest);
      host.registerConflictStrategy({ ...latest, name: 'bucardo_latest' });
    },
  });
}

export default conflictStandard;
