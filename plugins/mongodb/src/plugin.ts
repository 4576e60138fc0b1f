/**
 * The plugin itself, without the MongoDB driver: the driver (and BSON) are loaded when a MongoDB database
 * is first pinged or opened. A `bucardo` command that never touches MongoDB (most of them) then does not
 * spend about 0.16 s and 10 MB loading it. The package's main entry re-exports this with the rest.
 */
import { definePlugin, type BucardoPlugin, type DatabaseDriver, type DatabaseSpec, type OpenContext, type TargetSession, type TargetWriter } from '@bucardo/plugin-sdk';
import { describeConnection, normalizeParams } from './connection-params.js';
import { MONGO_CAPABILITIES } from './capabilities.js';
import { resolveOptions, type MongoTargetOptions, type ResolvedMongoOptions } from './mongodb-options.js';

/**
 * The MongoDB database type (`type=mongo`, alias `mongodb`): a target only. Each table goes to a
 * collection, each row to a document whose `_id` is the row's key.
 */
export function mongodb(options: MongoTargetOptions = {}): BucardoPlugin {
  const resolved = resolveOptions(options);
  const driver: DatabaseDriver = {
    type: 'mongo',
    aliases: ['mongodb'],
    normalizeParams,
    describe: (spec) => describeConnection(spec),
    async ping(spec: DatabaseSpec, context: OpenContext) {
      const { connect } = await import('./mongo-target.js');
      const { client } = await connect(spec, context, resolved);
      await client.close();
    },
    target: lazyTarget(resolved),
  };
  return definePlugin({
    name: 'target-mongodb',
    apply(host) {
      host.registerDatabase(driver);
    },
  });
}

/** The writer, made on the first `open`: one per plugin, since it remembers what it told the log. */
function lazyTarget(options: ResolvedMongoOptions): TargetWriter {
  let writer: Promise<TargetWriter> | undefined;
  return {
    capabilities: MONGO_CAPABILITIES,
    async open(spec: DatabaseSpec, context: OpenContext): Promise<TargetSession> {
      // a failed load is not kept: the next open tries again
      writer ??= import('./mongo-target.js').then(({ MongoTarget }) => new MongoTarget(options), (error: unknown) => {
        writer = undefined;
        throw error;
      });
      return (await writer).open(spec, context);
    },
  };
}
