import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BucardoError } from './errors.js';

/*
 * libpq's connection service file (pg_service.conf), for plugins and the core that connect to PostgreSQL
 * with node-postgres, which does not read it. Read at connect time, so an edit applies to the next
 * connection; a database stores the service's name, never its settings.
 */

/** The keys a service may set: what every connection of ours can honour. */
export const SERVICE_KEYS = ['host', 'port', 'user', 'password', 'dbname', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword'] as const;

/** One of `SERVICE_KEYS`. */
export type ServiceKey = (typeof SERVICE_KEYS)[number];

/** A service's settings and the file they were read from. */
export interface ServiceDefinition {
  /** The service's name. */
  readonly name: string;
  /** The file its section was found in. */
  readonly file: string;
  /** Its settings, by libpq's key names. */
  readonly settings: Readonly<Partial<Record<ServiceKey, string>>>;
}

/** The directory of the system-wide service file when PGSYSCONFDIR is unset (Debian's and Ubuntu's libpq). */
const DEFAULT_SYSCONFDIR = '/etc/postgresql-common';

/**
 * The files searched for a service, in libpq's order: PGSERVICEFILE, else ~/.pg_service.conf; then
 * `pg_service.conf` in PGSYSCONFDIR (else /etc/postgresql-common).
 */
export function serviceFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const user = env.PGSERVICEFILE || path.join(env.HOME || os.homedir(), '.pg_service.conf');
  return [user, path.join(env.PGSYSCONFDIR || DEFAULT_SYSCONFDIR, 'pg_service.conf')];
}

/**
 * The settings of service `name`: the first file of `serviceFiles` that has its section. A file that does
 * not exist is passed over (as libpq does); one that cannot be read, and in the service's section a line
 * that is neither a comment, a `[section]` nor `key=value`, a key that is not one of `SERVICE_KEYS` or a
 * port that is not a number are an `INVALID_ARGUMENT` naming the file and the line's number (never its
 * text); other sections are not read. A service no file has: one naming the service and the files searched.
 */
export function readService(name: string, env: NodeJS.ProcessEnv = process.env): ServiceDefinition {
  const files = serviceFiles(env);
  for (const file of files) {
    const text = readServiceFile(file, name);
    if (text === undefined) continue;
    const settings = serviceSection(text, name, file);
    if (settings !== undefined) return { name, file, settings };
  }
  throw new BucardoError('INVALID_ARGUMENT', `The service "${name}" is not defined in ${files.join(' nor in ')}`, { item: name });
}

function readServiceFile(file: string, service: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new BucardoError('INVALID_ARGUMENT', `Cannot read the service file ${file} (looking for service "${service}"): ${(error as Error).message}`, { item: file, cause: error });
  }
}

/**
 * The section `[name]` of a service file, or undefined when it has none. As libpq, only the first section
 * of the name is read and checked: a line elsewhere is not this connection's business (a typo in another
 * service must not break this one). A bad line is named by its number, never quoted: it may hold a password.
 */
function serviceSection(text: string, name: string, file: string): Partial<Record<ServiceKey, string>> | undefined {
  let found: Partial<Record<ServiceKey, string>> | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const where = `${file}, line ${index + 1}`;
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      // the section after the wanted one ends it
      if (found !== undefined) break;
      if (section[1]!.trim() === name) found = {};
      continue;
    }
    if (found === undefined) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) {
      throw new BucardoError('INVALID_ARGUMENT', `Syntax error in the service file ${where} (service "${name}"): the line is neither a [service] nor key=value`, { item: file });
    }
    const key = line.slice(0, equals).trim();
    if (!(SERVICE_KEYS as readonly string[]).includes(key)) {
      throw new BucardoError('INVALID_ARGUMENT', `The service "${name}" in ${where} sets ${key}, which is not supported (known: ${SERVICE_KEYS.join(', ')})`, { item: file });
    }
    const value = line.slice(equals + 1).trim();
    if (key === 'port' && !/^\d{1,5}$/.test(value)) {
      throw new BucardoError('INVALID_ARGUMENT', `The service "${name}" in ${where} has port=${value}, which is not a number`, { item: file });
    }
    found[key as ServiceKey] = value;
  }
  return found;
}
