import { ChangeLog, addDecimal, keyMaker, keyPartCanonicalizer, parseCopyLine, type ChangeOp, type KeyChange, type KeyText, type TableShape } from '@bucardo/plugin-sdk';

const TAB = 0x09;
const BACKSLASH = 0x5c;
const OPS: Record<number, ChangeOp> = { 0x49: 'insert', 0x55: 'update', 0x44: 'delete' };

interface MutableChange {
  firstOp: ChangeOp;
  lastOp: ChangeOp;
  changedAt: number;
  additive?: Record<string, string>;
}

/**
 * Folds change records, streamed as COPY text lines sorted by key and then by time, into one change per
 * key: the first and last operation, the latest time and the summed additive deltas. A line is
 * `key columns, op, time in µs[, additive deltas]`. A backlog can hold millions of records, so the usual
 * line (one key column that needs no canonical form, no escapes) is read straight from the bytes: one
 * string per key, none per record.
 */
export class ChangeFold {
  readonly #log = new ChangeLog();
  readonly #width: number;
  readonly #additive: readonly string[];
  readonly #makeKey: (parts: readonly string[]) => KeyText;
  readonly #simpleKey: boolean;
  /** The previous simple key's bytes, copied: the stream may reuse its chunks' memory. */
  #previousKeyBytes = Buffer.alloc(64);
  #previousKeyLength = -1;
  #previousKey: KeyText | undefined;
  /** The key being folded and its change so far, appended to the log when the next key starts. */
  #current: MutableChange | undefined;

  constructor(shape: TableShape) {
    this.#width = shape.key.length;
    this.#additive = shape.additive ?? [];
    this.#makeKey = keyMaker(shape.key.map((column) => column.type));
    this.#simpleKey = this.#width === 1 && keyPartCanonicalizer(shape.key[0]!.type) === undefined && this.#additive.length === 0;
  }

  /** The folded changes, once every line was given. */
  get changes(): ChangeLog {
    this.#flush();
    return this.#log;
  }

  line(line: Buffer): void {
    const escaped = line.includes(BACKSLASH);
    if (this.#simpleKey && !escaped) this.#simpleLine(line);
    else this.#fields(escaped ? (parseCopyLine(line) as string[]) : splitFields(line));
  }

  #simpleLine(line: Buffer): void {
    const keyEnd = line.indexOf(TAB);
    const op = line[keyEnd + 2] === TAB ? OPS[line[keyEnd + 1]!] : undefined;
    if (!op) throw new Error(`Unknown change operation "${line.toString('utf8', keyEnd + 1, line.indexOf(TAB, keyEnd + 1))}" in a delta table`);
    const at = parseInteger(line, keyEnd + 3);
    if (this.#previousKeyLength === keyEnd && this.#previousKeyBytes.compare(line, 0, keyEnd, 0, keyEnd) === 0) {
      this.#update(op, at);
      return;
    }
    if (this.#previousKeyBytes.length < keyEnd) this.#previousKeyBytes = Buffer.alloc(keyEnd * 2);
    line.copy(this.#previousKeyBytes, 0, 0, keyEnd);
    this.#previousKeyLength = keyEnd;
    this.#start(line.toString('utf8', 0, keyEnd), op, at);
  }

  #fields(fields: readonly string[]): void {
    const width = this.#width;
    const key = this.#makeKey(width === 1 ? [fields[0]!] : fields.slice(0, width));
    const op = opOf(fields[width]!);
    const at = Number(fields[width + 1]);
    const deltas = fields.slice(width + 2);
    this.#previousKeyLength = -1;
    if (this.#current && key === this.#previousKey) {
      this.#update(op, at);
      const additive = this.#current.additive!;
      this.#additive.forEach((column, index) => { additive[column] = addDecimal(additive[column]!, deltas[index]!); });
      return;
    }
    this.#start(key, op, at);
    if (this.#additive.length > 0) this.#current!.additive = Object.fromEntries(this.#additive.map((column, index) => [column, deltas[index]!]));
  }

  #start(key: KeyText, firstOp: ChangeOp, changedAt: number): void {
    this.#flush();
    this.#current = { firstOp, lastOp: firstOp, changedAt };
    this.#previousKey = key;
  }

  #flush(): void {
    if (this.#current === undefined) return;
    this.#log.append(this.#previousKey!, this.#current);
    this.#current = undefined;
  }

  #update(op: ChangeOp, at: number): void {
    const change = this.#current!;
    change.lastOp = op;
    if (at > change.changedAt) change.changedAt = at;
  }
}

function opOf(text: string): ChangeOp {
  const op = OPS[text.charCodeAt(0)];
  if (!op || text.length !== 1) throw new Error(`Unknown change operation "${text}" in a delta table`);
  return op;
}

/** A line's fields when it holds no escapes. */
function splitFields(line: Buffer): string[] {
  const fields: string[] = [];
  let start = 0;
  for (let tab = line.indexOf(TAB); tab !== -1; tab = line.indexOf(TAB, start)) {
    fields.push(line.toString('utf8', start, tab));
    start = tab + 1;
  }
  fields.push(line.toString('utf8', start));
  return fields;
}

/** The (possibly negative) integer written in ASCII from `start` to the next tab or the end. */
function parseInteger(line: Buffer, start: number): number {
  let index = start;
  const negative = line[index] === 0x2d;
  if (negative) index++;
  let value = 0;
  for (; index < line.length; index++) {
    const byte = line[index]!;
    if (byte === TAB) break;
    value = value * 10 + (byte - 0x30);
  }
  return negative ? -value : value;
}
