/**
 * Selects plugins by package name: each string (or `[name, options]`) is resolved from this file's folder
 * like an import, and the package's default export is called with the options. `bucardo-plugin-jsonl`
 * must be installed where this file can resolve it (`npm install bucardo-plugin-jsonl`; in this
 * repository the tests link examples/node_modules/bucardo-plugin-jsonl to examples/target-jsonl).
 *
 *   bucardo --config examples/bucardo.by-name.config.ts add db j1 type=jsonl dir=/var/spool/bucardo
 */
import { defineConfig } from '@bucardo/plugin-sdk';

export default defineConfig({
  plugins: ['bucardo-plugin-jsonl', ['@bucardo/logger-pino', { redact: ['password', 'token'] }]],
  // the pino plugin only registers its logger; this selects it
  logger: 'pino',
});
