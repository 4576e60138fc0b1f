/**
 * Rows → documents. A document holds every column under its own name (NULL as null, or left out with
 * `omitNulls`), converted by the column's type (type-mapping.ts), and `_id`: the key, so that writing a
 * row twice gives one document. A single-column key is `_id: value`; a composite key is an object of the
 * key columns in key order (`_id: { a: 1, b: 'x' }`), since MongoDB compares embedded documents field by
 * field, in order.
 *
 * The `_id` is always built from the key's canonical text (the same text the core uses for keys, where
 * `1.50` and `1.5` are one numeric key), so a row's upsert and a delete of its key name the same `_id`.
 */
import { BucardoError, decodeKey, formatTable, type ColumnInfo, type KeyText, type TableShape, type TextValue } from '@bucardo/plugin-sdk';
import type { MongoDocument } from './ports.js';
import { converterFor, type Converter } from './type-mapping.js';

export class DocumentMaker {
  readonly shape: TableShape;
  readonly #omitNulls: boolean;
  readonly #columns: ReadonlyArray<{ readonly name: string; readonly convert: Converter; readonly type: string }>;
  readonly #keyConverters: readonly Converter[];

  constructor(shape: TableShape, options: { readonly omitNulls: boolean }) {
    this.shape = shape;
    this.#omitNulls = options.omitNulls;
    const singleKey = shape.key.length === 1 ? shape.key[0]!.name : undefined;
    for (const column of shape.columns) {
      // a column named _id can only be the key itself: its value is then the _id anyway
      if (column.name === '_id' && singleKey !== '_id') {
        throw new BucardoError('APPLY_FAILED', `Table "${formatTable(shape.table)}" has a column named _id that is not its key: MongoDB keeps the key in _id`, { table: formatTable(shape.table), column: '_id' });
      }
    }
    this.#columns = shape.columns.map((column) => ({ name: column.name, type: column.type, convert: converterFor(column.type) }));
    this.#keyConverters = shape.key.map((column) => converterFor(column.type));
  }

  /** The `_id` of a key (as `KeyText`: composite keys joined with NUL). */
  idOf(key: KeyText): unknown {
    const parts = decodeKey(key, this.shape.key.length);
    if (parts.length === 1) return this.#keyPart(this.shape.key[0]!, this.#keyConverters[0]!, parts[0]!, key);
    const id: MongoDocument = {};
    this.shape.key.forEach((column, index) => { id[column.name] = this.#keyPart(column, this.#keyConverters[index]!, parts[index] ?? '', key); });
    return id;
  }

  /** A row (its columns' text values in `shape.columns` order) as a document with `_id` from `key`. */
  document(row: readonly TextValue[], key: KeyText): MongoDocument {
    const document: MongoDocument = { _id: this.idOf(key) };
    this.#columns.forEach((column, index) => {
      if (column.name === '_id') return;
      const text = row[index] ?? null;
      if (text !== null) document[column.name] = this.#convert(column, column.convert, text, key);
      else if (!this.#omitNulls) document[column.name] = null;
    });
    return document;
  }

  #keyPart(column: ColumnInfo, convert: Converter, text: string, key: KeyText): unknown {
    const value = this.#convert(column, convert, text, key);
    // MongoDB refuses arrays in _id: an array-typed key (or a JSON array) keeps its text there
    return Array.isArray(value) ? text : value;
  }

  #convert(column: ColumnInfo, convert: Converter, text: string, key: KeyText): unknown {
    try {
      return convert(text);
    } catch (error) {
      throw new BucardoError('APPLY_FAILED', `Cannot convert column "${column.name}" (${column.type}) of table "${formatTable(this.shape.table)}" to BSON: ${(error as Error).message}`, {
        table: formatTable(this.shape.table), column: column.name, key, cause: error,
      });
    }
  }
}
