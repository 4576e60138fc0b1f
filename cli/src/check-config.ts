import { badRunSize } from '@bucardo/core';
import path from 'node:path';
import { closestName, LogLevels, SSLMODE_VALUES, type BucardoConfig, type ControlDatabaseConfig } from '@bucardo/plugin-sdk';

/** What is wrong with a config: the field (`control.port`, `plugins[2]`), and either its value and the rule, or that it is unknown. */
export type ConfigProblem =
  | { readonly kind: 'value'; readonly field: string; readonly value: unknown; readonly rule: string }
  | { readonly kind: 'unknown'; readonly field: string; readonly known: readonly string[]; readonly closest?: string };

/** A field's check: nothing, or what is wrong (a list for a field that holds several, `control`'s or `plugins`'). */
type Check = (value: unknown, field: string) => ConfigProblem | readonly ConfigProblem[] | undefined;

const bad = (field: string, value: unknown, rule: string): ConfigProblem => ({ kind: 'value', field, value, rule });

const nonEmptyString = (rule = 'a non-empty string'): Check => (value, field) =>
  (typeof value === 'string' && value.length > 0 ? undefined : bad(field, value, rule));

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const object: Check = (value, field) => (isObject(value) ? undefined : bad(field, value, 'an object'));

/**
 * A TLS file of the control connection: absolute, for the daemon reads it from another working directory
 * than the config's, and a relative path would silently name another file there.
 */
function tlsFile(rule: string): Check {
  return (value, field) => (typeof value === 'string' && (path.isAbsolute(value) || (field.endsWith('sslrootcert') && value === 'system')) ? undefined : bad(field, value, rule));
}

const runSize: Check = (value, field) => {
  const problem = badRunSize({ [field]: value });
  return problem && bad(field, value, problem.rule);
};

const PLUGIN_RULE = 'a plugin object, a package name, or [package name, options object]';

/** Falsy entries are skipped (`[isProd && metrics()]`); plugin objects are checked when they load (PLUGIN_INVALID, naming them). */
function pluginSpec(value: unknown, field: string): ConfigProblem | undefined {
  if (!value || typeof value === 'string') return undefined;
  if (typeof value === 'function') return bad(field, value, `${PLUGIN_RULE}, not a function (call the plugin factory: ${value.name || 'plugin'}())`);
  if (Array.isArray(value)) {
    const [name, options, ...rest] = value as unknown[];
    const ok = typeof name === 'string' && name.length > 0 && (options === undefined || isObject(options)) && rest.length === 0;
    return ok ? undefined : bad(field, value, '[package name, options object]');
  }
  return typeof value === 'object' ? undefined : bad(field, value, PLUGIN_RULE);
}

const plugins: Check = (value, field) => {
  if (!Array.isArray(value)) return bad(field, value, `a list, each entry ${PLUGIN_RULE}`);
  return value.flatMap((entry, index) => pluginSpec(entry, `${field}[${index}]`) ?? []);
};

const CONTROL_FIELDS: { readonly [K in keyof Required<ControlDatabaseConfig>]: Check } = {
  dbname: nonEmptyString(),
  host: nonEmptyString(),
  port: (value, field) => (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535 ? undefined : bad(field, value, 'a port number (a whole number from 1 to 65535)')),
  user: nonEmptyString(),
  password: (value, field) => (typeof value === 'string' ? undefined : bad(field, value, 'a string')),
  service: nonEmptyString('a service name of the service file (a non-empty string)'),
  sslmode: (value, field) => ((SSLMODE_VALUES as readonly unknown[]).includes(value) ? undefined : bad(field, value, `one of ${SSLMODE_VALUES.join(', ')}`)),
  sslrootcert: tlsFile('an absolute path, or system'),
  sslcert: tlsFile('an absolute path'),
  sslkey: tlsFile('an absolute path'),
  // a passphrase is not shown, even a wrong kind of one
  sslpassword: (value, field) => (typeof value === 'string' && value.length > 0 ? undefined : bad(field, typeof value === 'string' ? value : `(a ${value === null ? 'null' : typeof value}, not shown)`, 'a non-empty string')),
};

const control: Check = (value, field) => (isObject(value) ? allFieldProblems(value, CONTROL_FIELDS, `${field}.`) : bad(field, value, 'an object'));

/** Every field of BucardoConfig with its check: a field added to the type without one does not compile. */
const CONFIG_FIELDS: { readonly [K in keyof Required<BucardoConfig>]: Check } = {
  plugins,
  control,
  logLevel: (value, field) => ((LogLevels as readonly unknown[]).includes(value) ? undefined : bad(field, value, `one of ${LogLevels.join(', ')}`)),
  logger: nonEmptyString('a logger name (a non-empty string)'),
  loggerOptions: object,
  batchSize: runSize,
  partitionSize: runSize,
  refreshAbove: runSize,
  pidDir: nonEmptyString('a directory (a non-empty string)'),
};

/**
 * The first problem of a loaded config: an unknown key (a typo would otherwise be ignored silently) or
 * a value its field refuses, top-level keys first. Unset (undefined) fields are fine; null is not.
 */
export function checkConfig(config: Readonly<Record<string, unknown>>): ConfigProblem | undefined {
  return configProblems(config)[0];
}

/** Every problem of a loaded config, in `checkConfig`'s order: a config with two mistakes says both at once. */
export function configProblems(config: Readonly<Record<string, unknown>>): ConfigProblem[] {
  return allFieldProblems(config, CONFIG_FIELDS, '');
}

function allFieldProblems(values: Readonly<Record<string, unknown>>, checks: Readonly<Record<string, Check>>, prefix: string): ConfigProblem[] {
  const known = Object.keys(checks);
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(values)) {
    if (Object.hasOwn(checks, key)) continue;
    const closest = closestName(key, known);
    problems.push({ kind: 'unknown', field: `${prefix}${key}`, known: known.map((name) => `${prefix}${name}`), ...(closest ? { closest: `${prefix}${closest}` } : {}) });
  }
  for (const [key, check] of Object.entries(checks)) {
    const value = values[key];
    if (value === undefined) continue;
    const found = check(value, `${prefix}${key}`);
    if (found) problems.push(...(Array.isArray(found) ? found : [found]) as ConfigProblem[]);
  }
  return problems;
}

/** A value as the error shows it: JSON where it can be, else its kind. */
export function showValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Array.isArray(value) ? 'a list' : 'an object';
  }
}
