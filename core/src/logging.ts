import { isBucardoError, levelEnabled, type LogFields, type Logger, type LogLevel } from '@bucardo/plugin-sdk';

/**
 * A logger whose destination is chosen later: plugins receive it while they load, before the config's
 * logger plugin has been registered; once the engine picks the logger, every child follows it.
 */
export class DeferredLogger implements Logger {
  #target: Logger;
  readonly #fields: LogFields;
  readonly #root: DeferredLogger | undefined;

  constructor(target: Logger, fields: LogFields = {}, root?: DeferredLogger) {
    this.#target = target;
    this.#fields = fields;
    this.#root = root;
  }

  setTarget(target: Logger): void {
    (this.#root ?? this).#target = target;
  }

  log(level: LogLevel, message: string, fields?: LogFields): void {
    (this.#root ?? this).#target.log(level, message, { ...this.#fields, ...fields });
  }

  child(fields: LogFields): Logger {
    return new DeferredLogger(this.#target, { ...this.#fields, ...fields }, this.#root ?? this);
  }

  async flush(): Promise<void> {
    await (this.#root ?? this).#target.flush?.();
  }

  /** Whether the chosen logger has files to open again (`reopen()`): false tells `bucardo reopen` it did nothing. */
  reopen(): boolean {
    const target = (this.#root ?? this).#target;
    if (!target.reopen) return false;
    target.reopen();
    return true;
  }
}

/** Until a logger plugin is chosen (or when none is registered): warnings to stderr, nothing else. */
export function stderrWarnings(threshold: LogLevel = 'warn'): Logger {
  const logger: Logger = {
    log(level, message) {
      if (levelEnabled(level, threshold)) process.stderr.write(`${message}\n`);
    },
    child: () => logger,
  };
  return logger;
}

/**
 * Wraps a plugin's logger so that it can never fail a sync: a logger that throws is reported once on
 * stderr and then skipped for that line.
 */
export function guardedLogger(logger: Logger, name: string): Logger {
  let reported = false;
  const guard = <T>(work: () => T, fallback: T): T => {
    try {
      return work();
    } catch (error) {
      if (!reported) {
        reported = true;
        process.stderr.write(`WARN: logger "${name}" failed (${error instanceof Error ? error.message : String(error)}); its lines are skipped\n`);
      }
      return fallback;
    }
  };
  return {
    log: (level, message, fields) => guard(() => logger.log(level, message, fields), undefined),
    child: (fields) => guardedLogger(guard(() => logger.child(fields), logger), name),
    flush: async () => { try { await logger.flush?.(); } catch { /* a logger failing to flush fails nothing */ } },
    // only where the plugin's logger has one, so that the engine can say a reopen did nothing
    ...(logger.reopen ? { reopen: () => guard(() => logger.reopen?.(), undefined) } : {}),
  };
}

/**
 * The fields a failure's log line carries: its code, when it has one of ours (the text logger ends the
 * line with `[CODE]`, as status shows it; pino writes a `code` field).
 */
export function errorFields(error: unknown): LogFields {
  return isBucardoError(error) ? { code: error.code } : {};
}
