import { definePlugin, type BucardoPlugin, type ConflictStrategy } from '@bucardo/plugin-sdk';
import { abort, byChance, skip } from './by-chance.js';
import { byOrder, bySource, byTarget } from './by-order.js';
import { latest, latestTable } from './latest.js';

export { latest, latestTable, newest } from './latest.js';
export { byOrder, bySource, byTarget } from './by-order.js';
export { byChance, skip, abort } from './by-chance.js';

/** Every standard strategy, by its `conflict=` name. */
export const standardStrategies: readonly ConflictStrategy[] = [latest, latestTable, byOrder, bySource, byTarget, byChance, skip, abort];

/** Registers the standard conflict strategies: latest, latest_table, order (a list of databases), source, target, random, skip, abort. */
export function conflictStandard(): BucardoPlugin {
  return definePlugin({
    name: 'conflict-standard',
    apply(host) {
      for (const strategy of standardStrategies) host.registerConflictStrategy(strategy);
    },
  });
}

export default conflictStandard;
