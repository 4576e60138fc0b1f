import { BucardoError, toBucardoError, type Logger, type SourceSession, type TargetSession } from '@bucardo/plugin-sdk';
import type { Registry } from '../plugins/registry.js';
import type { SyncPlan } from './sync-plan.js';

/**
 * The open connections of one run: a source session on every source, a target session on every
 * database (sources receive the other sources' changes too). All are opened before anything is read,
 * so an unreachable database fails the run before any database is written.
 */
export class RunSessions {
  readonly sources = new Map<string, SourceSession>();
  readonly targets = new Map<string, TargetSession>();

  static async open(plan: SyncPlan, registry: Registry, log: Logger, label: string, signal: AbortSignal): Promise<RunSessions> {
    const sessions = new RunSessions();
    const opening: Promise<void>[] = [];
    for (const db of plan.databases) {
      const driver = registry.database(db.spec.type);
      const context = { log: log.child({ db: db.name }), label, signal };
      if (db.role === 'source') {
        if (!driver.source) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db.name}" (type ${db.spec.type}) cannot be a source`, { db: db.name, sync: plan.name });
        opening.push(driver.source.open(db.spec, context).then((session) => { sessions.sources.set(db.name, session); }));
      }
      if (!driver.target) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db.name}" (type ${db.spec.type}) cannot be written to`, { db: db.name, sync: plan.name });
      opening.push(driver.target.open(db.spec, context).then((session) => { sessions.targets.set(db.name, session); }));
    }
    const results = await Promise.allSettled(opening);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await sessions.close();
      throw toBucardoError(failed.reason, 'CONNECTION_FAILED', { sync: plan.name });
    }
    return sessions;
  }

  source(db: string): SourceSession {
    const session = this.sources.get(db);
    if (!session) throw new BucardoError('DB_NOT_FOUND', `No source session for database "${db}"`, { db });
    return session;
  }

  target(db: string): TargetSession {
    const session = this.targets.get(db);
    if (!session) throw new BucardoError('DB_NOT_FOUND', `No target session for database "${db}"`, { db });
    return session;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.sources.values(), ...this.targets.values()].map((session) => session.close()));
    this.sources.clear();
    this.targets.clear();
  }
}
