import { describe, expect, it } from 'vitest';
import { OutageLog } from '../src/daemon/outage-log.js';

describe('OutageLog', () => {
  it('says the first failure, then reminders at 10 s, 20 s, 40 s … at most every 5 minutes, and the end', () => {
    const log = new OutageLog();
    const said: Array<[number, string]> = [];
    // a failed round every second for 20 minutes
    for (let t = 0; t < 1_200_000; t += 1000) {
      const line = log.failed('Cannot connect', t);
      if (line) said.push([t / 1000, line]);
    }
    expect(said.map(([t]) => t)).toEqual([0, 10, 30, 70, 150, 310, 610, 910]);
    expect(said[0]![1]).toBe('Daemon round failed: Cannot connect (retrying every second; said again in 10 s if it goes on)');
    expect(said[1]![1]).toBe('Daemon rounds still failing: 11 failed rounds in 10 s; the last: Cannot connect');
    expect(log.succeeded(1_200_000)).toBe('Daemon rounds work again after 1200 failed round(s) in 1200 s');
    expect(log.succeeded(1_201_000)).toBeUndefined();
    // the next outage starts afresh
    expect(log.failed('again', 2_000_000)).toBe('Daemon round failed: again (retrying every second; said again in 10 s if it goes on)');
    expect(log.failed('again', 2_005_000)).toBeUndefined();
  });

  it('says nothing when every round works', () => {
    expect(new OutageLog().succeeded()).toBeUndefined();
  });
});
