/**
 * `bucardo … | head -3`: the reader of the command's output goes away before it has written everything.
 * The command ends quietly with its own exit code, as the shell's tools do, instead of printing Node's
 * stack trace for the failed write (`Error: write EPIPE`).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bucardoBin } from '../src/helpers/cli.js';

describe('output piped into a reader that goes away', () => {
  it('ends quietly, exit code 0, no stack trace', async () => {
    const child = spawn(process.execPath, [bucardoBin, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // the reader is gone before the command writes a line
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
