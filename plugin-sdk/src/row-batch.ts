import { copyLineRanges, encodeCopyLines, parseCopyLine, type TextValue } from './copy-text.js';
import { keyMaker, type KeyText } from './keys.js';
import type { ColumnInfo, TableShape } from './table.js';

/**
 * The current images of some rows of one table, read from one database (`origin`). Rows are held in
 * COPY text form (`data`); `rows()` decodes them on demand into the columns' text values.
 * A key that was asked for but has no row here has been deleted on the origin.
 */
export class RowBatch {
  readonly origin: string;
  readonly shape: TableShape;
  /** The rows in COPY text format, one line per row, columns in `shape.columns` order. */
  readonly data: Uint8Array;
  #lines: Array<[number, number]> | undefined;
  #makeKey: ((parts: readonly string[]) => KeyText) | undefined;

  constructor(origin: string, shape: TableShape, data: Uint8Array) {
    this.origin = origin;
    this.shape = shape;
    this.data = data;
  }

  static empty(origin: string, shape: TableShape): RowBatch {
    return new RowBatch(origin, shape, new Uint8Array(0));
  }

  static fromRows(origin: string, shape: TableShape, rows: Iterable<readonly TextValue[]>): RowBatch {
    return new RowBatch(origin, shape, encodeCopyLines(rows));
  }

  get columns(): readonly ColumnInfo[] {
    return this.shape.columns;
  }

  get rowCount(): number {
    return this.#ranges().length;
  }

  /** Each row as its columns' text values (NULL as `null`). */
  *rows(): IterableIterator<TextValue[]> {
    for (const [start, end] of this.#ranges()) yield parseCopyLine(this.data.subarray(start, end));
  }

  /** The last row, decoding only it (a copy resumes after the last key of its last committed batch). */
  lastRow(): TextValue[] | undefined {
    const ranges = this.#ranges();
    const last = ranges[ranges.length - 1];
    return last && parseCopyLine(this.data.subarray(last[0], last[1]));
  }

  /** The key of a decoded row, in canonical form (see `keyMaker`). */
  keyOf(row: readonly TextValue[]): KeyText {
    this.#makeKey ??= keyMaker(this.shape.key.map((column) => column.type));
    return this.#makeKey(this.#keyPositions().map((position) => row[position] ?? ''));
  }

  /** The rows whose key is (or is not, with `keep = false`) in `keys`. */
  filter(keys: ReadonlySet<KeyText>, keep = true): RowBatch {
    const kept: TextValue[][] = [];
    for (const row of this.rows()) if (keys.has(this.keyOf(row)) === keep) kept.push(row);
    return RowBatch.fromRows(this.origin, this.shape, kept);
  }

  #ranges(): Array<[number, number]> {
    return (this.#lines ??= copyLineRanges(this.data));
  }

  #keyPositions(): number[] {
    return this.shape.key.map((keyColumn) => this.shape.columns.findIndex((column) => column.name === keyColumn.name));
  }
}
