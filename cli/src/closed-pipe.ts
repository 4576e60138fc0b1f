/**
 * `bucardo delta | head -3`: the reader goes away, and the next write to stdout fails with EPIPE, which
 * Node reports as an unhandled error with its stack. Like the shell tools, the command then ends quietly
 * (its output was not wanted any more), with the exit code it would have had.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}
