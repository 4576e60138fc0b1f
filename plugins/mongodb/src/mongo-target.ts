/** The real driver behind the ports: connecting, pinging, and opening target sessions. */
import { MongoClient, type ClientSession, type Db } from 'mongodb';
import { BucardoError, type DatabaseSpec, type OpenContext, type TargetCapabilities, type TargetSession, type TargetWriter } from '@bucardo/plugin-sdk';
import { MONGO_CAPABILITIES } from './capabilities.js';
import { connectionUrl, databaseName, locationOf } from './connection-params.js';
import { settingsFor, type ResolvedMongoOptions } from './mongodb-options.js';
import { MongoTargetSession, serverHasTransactions } from './mongo-session.js';
import type { MongoClientPort, MongoDatabasePort, MongoSessionPort } from './ports.js';

/** Connects and pings the database; any failure is CONNECTION_FAILED naming it (never its password). */
export async function connect(spec: DatabaseSpec, context: Pick<OpenContext, 'label'>, options: ResolvedMongoOptions): Promise<{ client: MongoClient; db: Db }> {
  let client: MongoClient | undefined;
  try {
    client = new MongoClient(connectionUrl(spec), {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS,
      connectTimeoutMS: options.serverSelectionTimeoutMS,
      appName: context.label,
    });
    await client.connect();
    const db = client.db(databaseName(spec));
    await db.command({ ping: 1 });
    return { client, db };
  } catch (error) {
    await client?.close().catch(() => undefined);
    const reason = (error as Error).message?.replace(/\/\/[^@/\s]*@/g, '//') ?? String(error);
    throw new BucardoError('CONNECTION_FAILED', `Cannot connect to MongoDB database "${spec.name}" (${locationOf(spec)}): ${reason}`, { db: spec.name, cause: error });
  }
}

/** An open connection, as the ports see it. */
export interface MongoConnection<Session extends MongoSessionPort = MongoSessionPort> {
  readonly db: MongoDatabasePort<Session>;
  readonly client: MongoClientPort<Session>;
  close(): Promise<void>;
}

/** Opens a connection to a database (the real driver by default; tests pass an in-memory one). */
export type MongoConnector<Session extends MongoSessionPort = MongoSessionPort> = (spec: DatabaseSpec, context: OpenContext) => Promise<MongoConnection<Session>>;

/** The real driver: it satisfies the ports structurally, and these assignments are the compile-time check. */
export function driverConnector(options: ResolvedMongoOptions): MongoConnector<ClientSession> {
  return async (spec, context) => {
    const { client, db } = await connect(spec, context, options);
    const dbPort: MongoDatabasePort<ClientSession> = db;
    const clientPort: MongoClientPort<ClientSession> = client;
    return { db: dbPort, client: clientPort, close: () => client.close() };
  };
}

/** Writes row images into MongoDB collections (mongo-session.ts). */
export class MongoTarget<Session extends MongoSessionPort = ClientSession> implements TargetWriter {
  readonly capabilities: TargetCapabilities = MONGO_CAPABILITIES;
  readonly #options: ResolvedMongoOptions;
  readonly #connect: MongoConnector<Session>;
  /** Databases already told about (missing) transactions, so that a daemon says it once. */
  readonly #told = new Set<string>();

  constructor(options: ResolvedMongoOptions, connector?: MongoConnector<Session>) {
    this.#options = options;
    this.#connect = connector ?? (driverConnector(options) as unknown as MongoConnector<Session>);
  }

  async open(spec: DatabaseSpec, context: OpenContext): Promise<MongoTargetSession<Session> & TargetSession> {
    const { client, db, close } = await this.#connect(spec, context);
    try {
      const settings = settingsFor(this.#options, spec.params);
      const supported = settings.transactions && await serverHasTransactions(db);
      this.#tell(spec.name, context, settings.transactions, supported);
      return new MongoTargetSession<Session>({ name: spec.name, db, client, settings, log: context.log, transactional: supported, dispose: close });
    } catch (error) {
      await close().catch(() => undefined);
      throw new BucardoError('CONNECTION_FAILED', `MongoDB database "${spec.name}" (${locationOf(spec)}): ${(error as Error).message}`, { db: spec.name, cause: error });
    }
  }

  #tell(name: string, context: OpenContext, wanted: boolean, supported: boolean): void {
    if (this.#told.has(name)) return;
    this.#told.add(name);
    if (supported) {
      context.log.log('verbose', `MongoDB database "${name}": one transaction per batch`, { db: name });
    } else if (wanted) {
      context.log.log('normal', `MongoDB database "${name}" is a standalone server, without transactions: writes are not transactional; a failed batch is applied again by the next run (applying is idempotent)`, { db: name });
    } else {
      context.log.log('normal', `MongoDB database "${name}": transactions are turned off (option transactions: false); a failed batch is applied again by the next run (applying is idempotent)`, { db: name });
    }
  }
}
