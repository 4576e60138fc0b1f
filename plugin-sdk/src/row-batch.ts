import { copyLineEnds, encodeCopyLines, parseCopyLine, type TextValue } from './copy-text.js';
import { keyMaker, type KeyText } from './keys.js';
import type { ColumnInfo, TableShape } from './table.js';

/**
 * The current images of some rows of one table, read from one database (`origin`). Rows are held in
 * COPY text form (`data`); `rows()` decodes them on demand into the columns' text values.
 * A key that was asked for but has no row here has been deleted on the origin.
 */
export class RowBatch {
  /** The database the rows were read from. */
  readonly origin: string;
  /** The table, its columns and key. */
  readonly shape: TableShape;
  /** The rows in COPY text format, one line per row, columns in `shape.columns` order. */
  readonly data: Uint8Array;
  /** Where each row's line ends, computed on first use. */
  #ends: Uint32Array | undefined;
  #makeKey: ((parts: readonly string[]) => KeyText) | undefined;
  /** Where each key column is among the columns (looked up once per batch, not per row). */
  #positions: number[] | undefined;

  /** `lineEnds`: where each row's line ends (the offset of its newline), when the reader noted them as it read. */
  constructor(origin: string, shape: TableShape, data: Uint8Array, lineEnds?: Uint32Array) {
    this.origin = origin;
    this.shape = shape;
    this.data = data;
    this.#ends = lineEnds;
  }

  /** A batch without rows. */
  static empty(origin: string, shape: TableShape): RowBatch {
    return new RowBatch(origin, shape, new Uint8Array(0));
  }

  /** A batch from decoded rows (each row's values in `shape.columns` order, NULL as `null`). */
  static fromRows(origin: string, shape: TableShape, rows: Iterable<readonly TextValue[]>): RowBatch {
    return new RowBatch(origin, shape, encodeCopyLines(rows));
  }

  /** The columns, in the order of each row's values. */
  get columns(): readonly ColumnInfo[] {
    return this.shape.columns;
  }

  /** The number of rows. */
  get rowCount(): number {
    return this.#lineEnds().length;
  }

  /** Each row as its columns' text values (NULL as `null`). */
  *rows(): IterableIterator<TextValue[]> {
    const ends = this.#lineEnds();
    for (let line = 0; line < ends.length; line++) yield parseCopyLine(this.data.subarray(lineStart(ends, line), ends[line]));
  }

  /** The last row, decoding only it (a copy resumes after the last key of its last committed batch). */
  lastRow(): TextValue[] | undefined {
    const ends = this.#lineEnds();
    if (ends.length === 0) return undefined;
    return parseCopyLine(this.data.subarray(lineStart(ends, ends.length - 1), ends[ends.length - 1]));
  }

  /** The key of a decoded row, in canonical form (see `keyMaker`). */
  keyOf(row: readonly TextValue[]): KeyText {
    this.#makeKey ??= keyMaker(this.shape.key.map((column) => column.type));
    return this.#makeKey(this.#keyPositions().map((position) => row[position] ?? ''));
  }

  /** Each row's key, in row order, decoding only the fields up to the last key column. */
  *keys(): IterableIterator<KeyText> {
    if (this.shape.key.length === 0) return;
    const ends = this.#lineEnds();
    for (let line = 0; line < ends.length; line++) yield this.#keyAt(ends, line);
  }

  /**
   * The rows whose key is (or is not, with `keep = false`) in `keys`. Only the key columns are decoded;
   * kept rows are copied as they are.
   */
  filter(keys: ReadonlySet<KeyText>, keep = true): RowBatch {
    const ends = this.#lineEnds();
    const kept = new Uint8Array(ends.length);
    let size = 0;
    for (let line = 0; line < ends.length; line++) {
      const start = lineStart(ends, line);
      const end = ends[line]!;
      if (keys.has(this.#keyAt(ends, line)) !== keep) continue;
      kept[line] = 1;
      size += end - start + 1;
    }
    const data = new Uint8Array(size);
    let offset = 0;
    for (let line = 0; line < ends.length; line++) {
      if (kept[line] === 0) continue;
      const start = lineStart(ends, line);
      const end = ends[line]!;
      data.set(this.data.subarray(start, end), offset);
      data[end - start + offset] = 0x0a;
      offset += end - start + 1;
    }
    return new RowBatch(this.origin, this.shape, data);
  }

  /** The key of row `line`: only the fields up to the last key column are decoded, as keyOf reads no further. */
  #keyAt(ends: Uint32Array, line: number): KeyText {
    const start = lineStart(ends, line);
    const last = Math.max(...this.#keyPositions());
    return this.keyOf(parseCopyLine(this.data.subarray(start, fieldEnd(this.data, start, ends[line]!, last))));
  }

  #lineEnds(): Uint32Array {
    return (this.#ends ??= copyLineEnds(this.data));
  }

  #keyPositions(): number[] {
    return (this.#positions ??= this.shape.key.map((keyColumn) => this.shape.columns.findIndex((column) => column.name === keyColumn.name)));
  }
}

/** Where line `line` begins, from the line ends. */
function lineStart(ends: Uint32Array, line: number): number {
  return line === 0 ? 0 : ends[line - 1]! + 1;
}

/** Where field `last` (0-based) of a COPY line ends: only the fields up to it need decoding. */
function fieldEnd(data: Uint8Array, start: number, end: number, last: number): number {
  let tabs = 0;
  for (let i = start; i < end; i++) {
    if (data[i] === 0x09 && tabs++ === last) return i;
  }
  return end;
}
