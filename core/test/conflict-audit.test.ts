/**
 * The order of the conflict audit's work, against a recording channel (the SQL side is covered end to
 * end by the conflict and fault tests): writes in the order added and in the background, nothing opened
 * without conflicts, and a failure anywhere recording none of the transaction's conflicts.
 */
import { describe, expect, it } from 'vitest';
import { ConflictAudit, type AuditChannel } from '../src/run/conflict-audit.js';
import type { ConflictRecord } from '../src/run/settle.js';

const record = (key: string): ConflictRecord => ({
  table: 'public.t', key, kind: 'update/update', candidates: [], strategy: 'latest', decidedBy: 'latest', winner: 'a', outcome: 'applied',
});

/** A channel that logs what it is asked to do; `failWrite` makes the nth write (1-based) fail. */
function recordingChannel(options: { failWrite?: number; failOpen?: boolean } = {}) {
  const log: string[] = [];
  let opens = 0;
  let writes = 0;
  let releaseWrite: (() => void) | undefined;
  const gate = { hold: false };
  const open = async (): Promise<AuditChannel> => {
    opens++;
    if (options.failOpen) throw new Error('cannot connect');
    return {
      write: async (records) => {
        writes++;
        if (gate.hold) await new Promise<void>((resolve) => (releaseWrite = resolve));
        if (writes === options.failWrite) throw new Error(`write ${writes} failed`);
        log.push(`write ${records.map((r) => r.key).join(',')}`);
      },
      commit: async () => { log.push('commit'); },
      rollback: async () => { log.push('rollback'); },
    };
  };
  return { log, open, gate, opens: () => opens, release: () => releaseWrite?.() };
}

describe('ConflictAudit', () => {
  it('opens nothing for a transaction without conflicts', async () => {
    const channel = recordingChannel();
    const audit = new ConflictAudit(channel.open);
    audit.add([]);
    await audit.commit();
    await audit.rollback();
    expect(channel.opens()).toBe(0);
    expect(channel.log).toEqual([]);
  });

  it('writes each batch in the order added, on one channel, and commits after them', async () => {
    const channel = recordingChannel();
    const audit = new ConflictAudit(channel.open);
    audit.add([record('1'), record('2')]);
    audit.add([]);
    audit.add([record('3')]);
    expect(audit.count).toBe(3);
    await audit.commit();
    expect(channel.opens()).toBe(1);
    expect(channel.log).toEqual(['write 1,2', 'write 3', 'commit']);
  });

  it('does not make the transaction wait for a write: add returns while the write is held', async () => {
    const channel = recordingChannel();
    channel.gate.hold = true;
    const audit = new ConflictAudit(channel.open);
    audit.add([record('1')]);
    audit.add([record('2')]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(channel.log).toEqual([]);
    const committing = audit.commit();
    channel.gate.hold = false;
    channel.release();
    await committing;
    expect(channel.log).toEqual(['write 1', 'write 2', 'commit']);
  });

  it('a failed write: commit rejects with it, nothing after it is written, and the channel is rolled back', async () => {
    const channel = recordingChannel({ failWrite: 1 });
    const audit = new ConflictAudit(channel.open);
    audit.add([record('1')]);
    audit.add([record('2')]);
    await expect(audit.commit()).rejects.toThrow('write 1 failed');
    expect(channel.log).toEqual(['rollback']);
  });

  it('a transaction that failed elsewhere: rollback after the writes, and it never rejects', async () => {
    const channel = recordingChannel();
    const audit = new ConflictAudit(channel.open);
    audit.add([record('1')]);
    await audit.rollback();
    expect(channel.log).toEqual(['write 1', 'rollback']);
    const failing = new ConflictAudit(recordingChannel({ failOpen: true }).open);
    failing.add([record('1')]);
    await expect(failing.rollback()).resolves.toBeUndefined();
  });

  it('a channel that cannot be opened: commit rejects with why', async () => {
    const audit = new ConflictAudit(recordingChannel({ failOpen: true }).open);
    audit.add([record('1')]);
    await expect(audit.commit()).rejects.toThrow('cannot connect');
  });
});
