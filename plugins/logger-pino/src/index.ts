import { definePlugin, type BucardoPlugin } from '@bucardo/plugin-sdk';
import type { PinoLoggerOptions } from './pino-logger-options.js';
import { pinoLoggerFactory } from './pino-logger.js';

export { pinoLoggerFactory, pinoLogger, pinoLevels } from './pino-logger.js';
export { defaultRedact } from './pino-logger-options.js';
export type { PinoLoggerOptions, Destination } from './pino-logger-options.js';

/**
 * Registers the `pino` logger (JSON lines); select it with `logger: 'pino'`. `options` are defaults for
 * the logger's options, which the config's `loggerOptions` override.
 */
export function loggerPino(options: PinoLoggerOptions = {}): BucardoPlugin {
  const factory = pinoLoggerFactory({ ...options });
  return definePlugin({
    name: 'logger-pino',
    apply(host) {
      host.registerLogger(factory);
    },
  });
}

export default loggerPino;
