/**
 * Selects the example target by importing it: the plugin object goes straight into `plugins`. The CLI
 * loads TypeScript configs with jiti, so the import can name the plugin's TypeScript source.
 *
 *   bucardo --config examples/bucardo.by-import.config.ts add db j1 type=jsonl dir=/var/spool/bucardo
 */
import { defineConfig } from '@bucardo/plugin-sdk';
import jsonl from './target-jsonl/src/index.ts';

export default defineConfig({
  plugins: [jsonl({ fsync: false })],
});
