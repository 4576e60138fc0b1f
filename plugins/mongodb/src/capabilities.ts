import type { TargetCapabilities } from '@bucardo/plugin-sdk';

/**
 * Static flags: `transactions` is false because a standalone server has none; sessions use one per batch
 * when the server has them, which only makes a failed batch cheaper to replay.
 */
export const MONGO_CAPABILITIES: TargetCapabilities = Object.freeze({ transactions: false, truncate: true, localChangeGuard: false, schema: false });
