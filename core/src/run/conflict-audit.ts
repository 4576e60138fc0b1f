import type { ConflictRecord } from './settle.js';

/**
 * One open transaction in the audit store (a control connection of its own), for the conflicts of one
 * run transaction. Ends with `commit` or `rollback`, which also give the connection back.
 */
export interface AuditChannel {
  write(records: readonly ConflictRecord[]): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * The conflicts of one run transaction, written to the audit while the transaction is applied and
 * committed right after every database committed it: a seed run settles thousands of conflicts, and
 * writing them after the commit made the run wait 130-170 ms for them. The run never waits for a write
 * while it applies; a failed write is reported by `commit`, and the run goes on (the audit is a record,
 * not part of the sync's data). Nothing is opened for a transaction without conflicts.
 */
export class ConflictAudit {
  readonly #open: () => Promise<AuditChannel>;
  #channel: Promise<AuditChannel> | undefined;
  #writes: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;
  #count = 0;

  constructor(open: () => Promise<AuditChannel>) {
    this.#open = open;
  }

  /** How many conflicts were added. */
  get count(): number {
    return this.#count;
  }

  /** Starts writing a batch's settled conflicts, behind the ones added before. */
  add(records: readonly ConflictRecord[]): void {
    if (records.length === 0) return;
    this.#count += records.length;
    if (!this.#channel) {
      this.#channel = this.#open();
      // a failed open is reported by commit; until then it must not count as unhandled
      this.#channel.catch(() => undefined);
    }
    const channel = this.#channel;
    this.#writes = this.#writes.then(async () => {
      if (!this.#failure) await (await channel).write(records);
    }).catch((error: unknown) => { this.#failure ??= { error }; });
  }

  /** After every database committed: commits the conflicts, or rejects with why they could not be recorded. */
  async commit(): Promise<void> {
    if (!this.#channel) return;
    await this.#writes;
    const channel = await this.#channel;
    if (this.#failure) {
      await channel.rollback().catch(() => undefined);
      throw this.#failure.error;
    }
    await channel.commit();
  }

  /** After the transaction failed anywhere: none of its conflicts are recorded. Never rejects. */
  async rollback(): Promise<void> {
    if (!this.#channel) return;
    await this.#writes;
    const channel = await this.#channel.catch(() => undefined);
    await channel?.rollback().catch(() => undefined);
  }
}
