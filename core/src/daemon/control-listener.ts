import type pg from 'pg';
import type { Logger } from '@bucardo/plugin-sdk';
import { connectControl, type ControlTarget } from '../control/control-connection.js';

/**
 * LISTENs on the control database for kicks and control changes (pause, resume, …), so the daemon reacts
 * at once instead of at its next poll. NOTIFY is only ever sent in the control database, never in a
 * user's transaction. A lost connection is reopened on the next `ensure()`; polling covers the gap.
 */
export class ControlListener {
  readonly #target: ControlTarget;
  readonly #onNotify: (channel: string, payload: string) => void;
  readonly #log: Logger;
  #client: pg.Client | undefined;

  constructor(target: ControlTarget, log: Logger, onNotify: (channel: string, payload: string) => void) {
    this.#target = target;
    this.#log = log;
    this.#onNotify = onNotify;
  }

  async ensure(): Promise<void> {
    if (this.#client) return;
    try {
      const client = await connectControl(this.#target, this.#target.dbname, 'bucardo daemon listener');
      client.on('notification', (message) => this.#onNotify(message.channel, message.payload ?? ''));
      client.on('error', () => { this.#client = undefined; });
      client.on('end', () => { this.#client = undefined; });
      await client.query('LISTEN bucardo_kick; LISTEN bucardo_control');
      this.#client = client;
    } catch (error) {
      this.#log.log('debug', `control listener not connected: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
