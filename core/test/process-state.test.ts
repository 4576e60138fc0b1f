/** processState against real processes: one running, one ended, and a zombie its parent never reaps. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processState } from '../src/daemon/process-state.js';

describe('processState', () => {
  it('tells a running process from one that ended', async () => {
    expect(processState(process.pid)).toBe('running');
    const child = spawn('sleep', ['0']);
    await new Promise((resolve) => child.on('exit', resolve));
    // reaped by node: the pid is free again
    expect(processState(child.pid!)).toBe('ended');
  });

  it.skipIf(process.platform !== 'linux')('calls a killed process its parent has not reaped a zombie, where kill(pid, 0) still succeeds', async () => {
    // the shell starts `sleep 1` and becomes `sleep 5`, which never waits for its children; the child
    // outlives the exec (a `sleep 0` could end before it on a busy machine, and the shell reap it)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      const deadline = Date.now() + 5_000;
      while (processState(zombie) === 'running' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(processState(zombie)).toBe('zombie');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
