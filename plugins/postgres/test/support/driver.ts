import type { DatabaseDriver, PluginHost } from '@bucardo/plugin-sdk';
import { postgres } from '../../src/index.js';

/** The database driver the plugin registers, taken from a host that only records it. */
export function registeredDriver(): DatabaseDriver {
  let driver: DatabaseDriver | undefined;
  void postgres().apply({ registerDatabase: (d: DatabaseDriver) => { driver = d; } } as unknown as PluginHost);
  return driver!;
}
