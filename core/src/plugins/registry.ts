import { BucardoError, type ConflictStrategy, type DatabaseDriver, type DatabaseRole, type LoggerFactory } from '@bucardo/plugin-sdk';
import { checkDriver, checkLoggerFactory, checkStrategy } from './check-registration.js';

/** What the plugins registered: database types, conflict strategies and loggers, each by name. */
export class Registry {
  readonly #databases = new Map<string, DatabaseDriver>();
  readonly #strategies = new Map<string, ConflictStrategy>();
  readonly #loggers = new Map<string, LoggerFactory>();
  readonly #owners = new Map<string, string>();

  addDatabase(driver: DatabaseDriver, plugin: string): void {
    checkDriver(driver, plugin);
    for (const name of [driver.type, ...(driver.aliases ?? [])]) this.#add(this.#databases, 'database type', name.toLowerCase(), driver, plugin);
  }

  addConflictStrategy(strategy: ConflictStrategy, plugin: string): void {
    checkStrategy(strategy, plugin);
    this.#add(this.#strategies, 'conflict strategy', strategy.name, strategy, plugin);
  }

  addLogger(factory: LoggerFactory, plugin: string): void {
    checkLoggerFactory(factory, plugin);
    this.#add(this.#loggers, 'logger', factory.name, factory, plugin);
  }

  /** The driver of a database type (or alias); UNKNOWN_DB_TYPE lists the known ones. */
  database(type: string): DatabaseDriver {
    const driver = this.#databases.get(type.toLowerCase());
    if (!driver) {
      throw new BucardoError('UNKNOWN_DB_TYPE', `Unknown database type "${type}" (known: ${[...this.#databases.keys()].join(', ') || 'none'})`, { item: type });
    }
    return driver;
  }

  conflictStrategy(name: string): ConflictStrategy {
    const strategy = this.#strategies.get(name);
    if (!strategy) {
      throw new BucardoError('UNKNOWN_STRATEGY', `Unknown conflict strategy "${name}" (known: ${this.conflictStrategyNames().join(', ') || 'none'})`, { item: name });
    }
    return strategy;
  }

  /**
   * Whether rows can be read from a database of this type in this role: a source, or a type with a source
   * side (a conflict's winner must be one: its row is read to be written to the others).
   */
  readable(db: { readonly role: DatabaseRole; readonly type: string }): boolean {
    return db.role === 'source' || this.#databases.get(db.type.toLowerCase())?.source !== undefined;
  }

  hasConflictStrategy(name: string): boolean {
    return this.#strategies.has(name);
  }

  conflictStrategyNames(): string[] {
    return [...this.#strategies.keys()].sort();
  }

  /** The plugin that registered a conflict strategy, for error messages. */
  ownerOfConflictStrategy(name: string): string | undefined {
    return this.#owners.get(`conflict strategy:${name}`);
  }

  /** The plugin that registered a database type, for error messages. */
  ownerOfDatabaseType(type: string): string | undefined {
    return this.#owners.get(`database type:${type.toLowerCase()}`);
  }

  /** The plugin that registered a logger, for error messages. */
  ownerOfLogger(name: string): string | undefined {
    return this.#owners.get(`logger:${name}`);
  }

  logger(name: string): LoggerFactory | undefined {
    return this.#loggers.get(name);
  }

  loggerNames(): string[] {
    return [...this.#loggers.keys()].sort();
  }

  #add<T>(map: Map<string, T>, kind: string, name: string, value: T, plugin: string): void {
    const ownerKey = `${kind}:${name}`;
    const owner = this.#owners.get(ownerKey);
    if (owner !== undefined) {
      throw new BucardoError('PLUGIN_DUPLICATE', `[${plugin}] ${kind} "${name}" is already registered by plugin "${owner}"`, { plugin, item: name });
    }
    this.#owners.set(ownerKey, plugin);
    map.set(name, value);
  }
}
