/** The autokick probe's pacing: the configured poll interval, stretched when probes are slow. */
import { describe, expect, it } from 'vitest';
import { pollDelayMs } from '../src/daemon/wake-signal.js';

describe('pollDelayMs', () => {
  it('waits the poll interval after a quick probe', () => {
    expect(pollDelayMs(250, 0)).toBe(250);
    expect(pollDelayMs(250, 3.2)).toBe(250);
    expect(pollDelayMs(250, 62.5)).toBe(250);
  });

  it('waits four times a slow probe, so that probing takes at most a fifth of the time', () => {
    expect(pollDelayMs(250, 80)).toBe(320);
    expect(pollDelayMs(250, 1000)).toBe(4000);
    expect(pollDelayMs(100, 30.4)).toBe(122);
  });
});
