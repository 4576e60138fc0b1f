/**
 * Settles one email given to different customers on two sources, as Bucardo's `exception` custom code
 * did (t/40-customcode-exception): the row from the database listed first in the sync keeps the email,
 * the other's is renamed `EMAIL#ID` on its own source, and the transaction is tried again.
 *
 *   bucardo --config examples/bucardo.unique-rename.config.ts kick S 0
 */
import { defineConfig } from '@bucardo/plugin-sdk';
import uniqueRename from './unique-rename/src/index.ts';

export default defineConfig({
  plugins: [uniqueRename({ table: 'public.customer', column: 'email' })],
});
