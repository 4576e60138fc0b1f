import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/*
 * libpq's password fallbacks, for plugins and the core that connect to PostgreSQL with node-postgres:
 * its own pgpass lookup is deprecated (and gone in pg 9), so connections pass a password function that
 * calls `defaultPassword` instead.
 */

/** Who and where a connection goes, as libpq matches password file lines; unset parts take libpq's defaults. */
export interface PasswordTarget {
  /** The host name, or a unix socket directory (matched as `localhost`, as libpq does). Default `localhost`. */
  readonly host?: string;
  /** The port, as a number or as text. Default 5432. */
  readonly port?: number | string;
  /** The database name. Default: the user's name. */
  readonly database?: string;
  /** The role that logs in. */
  readonly user: string;
}

/**
 * libpq's fallbacks when no password was given: a non-empty PGPASSWORD, else the first matching line of the
 * password file (PGPASSFILE, else ~/.pgpass), which is ignored unless it is a plain file readable by its owner
 * only (as libpq does). Returns undefined when neither has one.
 */
export function defaultPassword(target: PasswordTarget, env: NodeJS.ProcessEnv = process.env): { password: string; source: 'PGPASSWORD' | 'pgpass' } | undefined {
  if (env.PGPASSWORD) return { password: env.PGPASSWORD, source: 'PGPASSWORD' };
  const file = env.PGPASSFILE || path.join(env.HOME || os.homedir(), '.pgpass');
  const password = passwordFromFile(file, target);
  return password === undefined ? undefined : { password, source: 'pgpass' };
}

/** The password of the first line of a pgpass file that matches `target` (`*` matches anything). */
export function passwordFromFile(file: string, target: PasswordTarget): string | undefined {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return undefined;
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) return undefined; // libpq ignores a file others can read
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // libpq compares a local socket connection's host as "localhost"
  const host = target.host === undefined || target.host.startsWith('/') ? 'localhost' : target.host;
  const wanted = [host, String(target.port ?? 5432), target.database ?? target.user, target.user];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitPgpassLine(line);
    if (fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields.slice(4).join(':');
  }
  return undefined;
}

/** `host:port:db:user:password`, with `\:` and `\\` escapes. */
function splitPgpassLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) current += line[++i];
    else if (ch === ':' && fields.length < 4) { fields.push(current); current = ''; }
    else current += ch;
  }
  fields.push(current);
  return fields;
}
