import type { Bucardo } from '@bucardo/core';
import type { LogLevel } from '@bucardo/plugin-sdk';
import { cliVersion } from '../version.js';

/**
 * The daemon's first line, as Bucardo's MCP starts its log: what this daemon runs with, so that a log
 * read later says which version, config, plugins, level and control database it was (never the
 * password). The host and port are libpq's defaults when the config and options give none.
 */
export function startupBanner(bucardo: Bucardo, configFile: string | undefined, level: LogLevel): string {
  const { dbname, host, port } = bucardo.controlTarget;
  const where = `${host ?? process.env.PGHOST ?? 'localhost'}:${port ?? process.env.PGPORT ?? 5432}`;
  return `Bucardo ${cliVersion()} starting: config ${configFile ?? 'none'}; plugins ${bucardo.engine.pluginNames.join(', ')}; `
    + `log level ${level}; control database "${dbname}" on ${where}`;
}
