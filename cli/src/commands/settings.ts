import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';

/** `bucardo set name=value …`: settings the daemon reads at start and reload (e.g. `log_level`). */
export async function set(session: CliSession): Promise<number> {
  const entries = Object.entries(session.params);
  if (entries.length === 0) throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo set name=value …');
  const bucardo = await session.bucardo();
  for (const [name, value] of entries) {
    await bucardo.setSetting(name, value);
    session.print(`Set "${name}" to "${value.toLowerCase()}"`);
  }
  // the config's logLevel wins over the setting: say so, or the daemon seems to ignore the command
  const { config, filepath } = await session.config();
  if (session.params.log_level !== undefined && config.logLevel !== undefined) {
    session.print(`Note: ${filepath ?? 'the config'} sets logLevel to "${config.logLevel}", which takes precedence over log_level: remove it there for log_level to apply`);
  }
  return 0;
}

/** `bucardo show [all|name…]`: aligned `name = value` lines. */
export async function show(session: CliSession): Promise<number> {
  const settings = await (await session.bucardo()).settings();
  const wanted = session.words.filter((word) => word !== 'all');
  const rows = [...settings].filter(([name]) => wanted.length === 0 || wanted.some((w) => name.includes(w.toLowerCase())));
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  session.print(rows.map(([name, value]) => `${name.padEnd(width)} = ${value}`).join('\n') || 'No matching settings');
  return 0;
}
