import { isBucardoError } from '@bucardo/plugin-sdk';

/** Prints an error for people: the message, then the code in brackets; never a stack unless asked for. */
export function printError(error: unknown, debug = process.env.BUCARDO_DEBUG === '1'): void {
  if (isBucardoError(error)) {
    process.stderr.write(`ERROR: ${error.message} [${error.code}]\n`);
  } else {
    process.stderr.write(`ERROR: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

/** Prints an error that the command goes on despite: `WARNING: message [CODE]`. */
export function printWarning(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`WARNING: ${message}${isBucardoError(error) ? ` [${error.code}]` : ''}\n`);
}
