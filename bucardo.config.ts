/**
 * The repository's own Bucardo config, used by `npm run demo` (the CLI finds it from the working
 * directory). It lists the standard plugins explicitly to show the shape; leaving `plugins` out gives
 * the same set. Replace a plugin by listing your own with the same name, e.g. `postgres({ connectTimeout: 5 })`.
 */
import { defineConfig } from '@bucardo/plugin-sdk';
import { postgres } from '@bucardo/plugin-postgres';
import { conflictStandard } from '@bucardo/conflict-standard';
import { loggerText } from '@bucardo/logger-text';

export default defineConfig({
  plugins: [postgres(), conflictStandard(), loggerText()],
  logger: 'text',
  loggerOptions: { destinations: ['stderr'] },
});
