import { definePlugin, type BucardoPlugin } from '@bucardo/plugin-sdk';
import { textLoggerFactory } from './text-logger.js';

export { textLoggerFactory } from './text-logger.js';
export type { TextLoggerOptions, Destination } from './text-logger-options.js';

/** Registers the `text` logger (the default). */
export function loggerText(): BucardoPlugin {
  return definePlugin({
    name: 'logger-text',
    apply(host) {
      host.registerLogger(textLoggerFactory);
    },
  });
}

export default loggerText;
