import { BucardoError } from '@bucardo/plugin-sdk';

/** A field a registered object must have: its name, and `string` or `function`. */
type Field = readonly [name: string, kind: 'string' | 'function' | 'object'];

const DRIVER_FIELDS: readonly Field[] = [['type', 'string'], ['normalizeParams', 'function'], ['describe', 'function'], ['ping', 'function']];
const WRITER_FIELDS: readonly Field[] = [['capabilities', 'object'], ['open', 'function']];
const SOURCE_FIELDS: readonly Field[] = [['open', 'function']];
const STRATEGY_FIELDS: readonly Field[] = [['name', 'string'], ['resolve', 'function']];
const LOGGER_FIELDS: readonly Field[] = [['name', 'string'], ['create', 'function']];

/**
 * Checks what a plugin registers when it registers it, so that a field left out is named at startup
 * (PLUGIN_INVALID, naming the plugin and the field) rather than found by the first command or run that
 * calls it (`driver.normalizeParams is not a function`, with no plugin named).
 */
export function checkDriver(driver: unknown, plugin: string): void {
  const label = labelOf(driver, 'type', 'A database type');
  checkFields(driver, DRIVER_FIELDS, plugin, label);
  const { source, target } = driver as { source?: unknown; target?: unknown };
  if (source === undefined && target === undefined) {
    throw new BucardoError('PLUGIN_INVALID', `[${plugin}] ${label} needs a source or a target (it has neither: no sync could use it)`, { plugin, item: 'target' });
  }
  if (source !== undefined) checkFields(source, SOURCE_FIELDS, plugin, `${label}'s source`);
  if (target !== undefined) checkFields(target, WRITER_FIELDS, plugin, `${label}'s target`);
}

/** A strategy's name is one word, as `conflict=NAME option…` reads it (a space or a comma would split it). */
const STRATEGY_NAME = /^[^\s,]+$/;

export function checkStrategy(strategy: unknown, plugin: string): void {
  checkFields(strategy, STRATEGY_FIELDS, plugin, labelOf(strategy, 'name', 'A conflict strategy'));
  const { name } = strategy as { name: string };
  if (!STRATEGY_NAME.test(name)) {
    throw new BucardoError('PLUGIN_INVALID', `[${plugin}] A conflict strategy's name must be one word (no space nor comma), as conflict= reads it: "${name}" could never be chosen`, { plugin, item: 'name' });
  }
  const { validate } = strategy as { validate?: unknown };
  if (validate !== undefined && typeof validate !== 'function') {
    throw new BucardoError('PLUGIN_INVALID', `[${plugin}] ${labelOf(strategy, 'name', 'A conflict strategy')}: validate must be a function (got ${typeof validate})`, { plugin, item: 'validate' });
  }
}

export function checkLoggerFactory(factory: unknown, plugin: string): void {
  checkFields(factory, LOGGER_FIELDS, plugin, labelOf(factory, 'name', 'A logger'));
}

function labelOf(value: unknown, nameField: string, kind: string): string {
  const name = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[nameField] : undefined;
  return typeof name === 'string' && name.length > 0 ? `${kind} "${name}"` : kind;
}

function checkFields(value: unknown, fields: readonly Field[], plugin: string, label: string): void {
  if (typeof value !== 'object' || value === null) {
    throw new BucardoError('PLUGIN_INVALID', `[${plugin}] ${label} is not an object (got ${value === null ? 'null' : typeof value})`, { plugin });
  }
  for (const [name, kind] of fields) {
    const field = (value as Record<string, unknown>)[name];
    const ok = kind === 'object' ? typeof field === 'object' && field !== null : typeof field === kind && (kind !== 'string' || field !== '');
    if (!ok) {
      const got = field === undefined ? 'it has none' : `got ${field === null ? 'null' : typeof field}`;
      throw new BucardoError('PLUGIN_INVALID', `[${plugin}] ${label} needs ${name} (${kind === 'string' ? 'a non-empty string' : `a ${kind}`}; ${got})`, { plugin, item: name });
    }
  }
}
