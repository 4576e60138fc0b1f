/** Rows of COPY text in one buffer, and where each row's line ends (the offset of its newline). */
export interface CopyRows {
  readonly data: Buffer;
  readonly ends: Uint32Array;
}

/** Calls `each` with every row's line (without its newline), in order. */
export function forEachLine(rows: CopyRows, each: (line: Buffer) => void): void {
  let start = 0;
  for (const end of rows.ends) {
    each(rows.data.subarray(start, end));
    start = end + 1;
  }
}

/** Where the parser stopped in a chunk: `end` at CopyDone, `error` before an ErrorResponse's first byte. */
export interface CopyStop {
  readonly kind: 'end' | 'error';
  /** The offset in the chunk of the first byte the parser did not consume: the connection's parser takes it from there. */
  readonly offset: number;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** Messages the server may send between CopyOutResponse and CopyDone (protocol-flow.html#PROTOCOL-COPY). */
const INTERSPERSED = new Set([0x48 /* H CopyOutResponse */, 0x4e /* N NoticeResponse */, 0x53 /* S ParameterStatus */, 0x41 /* A NotificationResponse */]);
const HEADER = 5;
const FIRST_CAPACITY = 1 << 16;

/**
 * Parses the messages of a `COPY … TO STDOUT` straight from the socket's chunks into batches of rows: the
 * payload of each CopyData message (one row, ending with its newline, as PostgreSQL sends them) is copied
 * once, into the batch's buffer, and its end is noted as it comes. pg-copy-streams hands out a buffer per
 * chunk, which then had to be scanned for newlines, joined into batches and scanned again for the rows'
 * ends: for 1,000,000 rows, about a second of the reading process's CPU against a fifth of that here.
 */
export class CopyOutParser {
  readonly #batchRows: number;
  readonly #emit: (rows: CopyRows) => void;
  readonly #header = Buffer.alloc(HEADER);
  #headerBytes = 0;
  #code = 0;
  /** Payload bytes of the current message not yet seen; -1 between messages. */
  #remaining = -1;
  #data: Buffer;
  #length = 0;
  #ends: Uint32Array;
  #rows = 0;

  /** `emit` is called with each batch of `batchRows` rows, and with the last, shorter one at CopyDone. */
  constructor(batchRows: number, emit: (rows: CopyRows) => void) {
    this.#batchRows = batchRows;
    this.#emit = emit;
    this.#data = Buffer.allocUnsafe(FIRST_CAPACITY);
    this.#ends = new Uint32Array(Math.min(batchRows, 1 << 16));
  }

  /** Consumes a chunk; returns where it stopped when the copy ended in it, else undefined (give it the next chunk). */
  push(chunk: Buffer): CopyStop | undefined {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining === -1) {
        if (this.#headerBytes === 0) {
          // left unread, so that the connection's own parser turns it into the query's error
          if (chunk[at] === ERROR_RESPONSE) return { kind: 'error', offset: at };
          if (at + HEADER <= chunk.length) {
            this.#start(chunk[at]!, chunk.readUInt32BE(at + 1));
            at += HEADER;
          } else at = this.#headerPart(chunk, at);
        } else at = this.#headerPart(chunk, at);
        if (this.#remaining === -1) return undefined;
      } else {
        const take = Math.min(this.#remaining, chunk.length - at);
        if (this.#code === COPY_DATA) {
          chunk.copy(this.#data, this.#length, at, at + take);
          this.#length += take;
        }
        at += take;
        this.#remaining -= take;
      }
      // a message whose body is all here (CopyDone has none: it ends with its header)
      if (this.#remaining > 0) continue;
      this.#remaining = -1;
      if (this.#code === COPY_DATA) this.#row();
      else if (!INTERSPERSED.has(this.#code)) {
        // CopyDone, or anything a copy does not expect: the copy is over, and the connection reads on
        if (this.#rows > 0) this.#flush(true);
        return { kind: 'end', offset: at };
      }
    }
    return undefined;
  }

  /** Part of a header cut by the chunk's end: kept until the rest comes. Returns where the chunk's reading goes on. */
  #headerPart(chunk: Buffer, at: number): number {
    const take = Math.min(HEADER - this.#headerBytes, chunk.length - at);
    chunk.copy(this.#header, this.#headerBytes, at, at + take);
    this.#headerBytes += take;
    if (this.#headerBytes === HEADER) {
      this.#headerBytes = 0;
      this.#start(this.#header[0]!, this.#header.readUInt32BE(1));
    }
    return at + take;
  }

  /** A message's header read: its code and length (which counts the length field itself). */
  #start(code: number, length: number): void {
    this.#code = code;
    this.#remaining = length - 4;
    if (code === COPY_DATA) this.#reserve(this.#remaining);
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#data.length) return;
    const grown = Buffer.allocUnsafe(Math.max(Math.ceil(this.#data.length * 1.5), this.#length + bytes));
    this.#data.copy(grown, 0, 0, this.#length);
    this.#data = grown;
  }

  #row(): void {
    if (this.#rows === this.#ends.length) {
      const grown = new Uint32Array(Math.min(this.#batchRows, this.#ends.length * 2));
      grown.set(this.#ends);
      this.#ends = grown;
    }
    this.#ends[this.#rows++] = this.#length - 1;
    if (this.#rows === this.#batchRows) this.#flush(false);
  }

  #flush(last: boolean): void {
    const rows: CopyRows = { data: this.#data.subarray(0, this.#length), ends: this.#ends.subarray(0, this.#rows) };
    if (!last) {
      // the next batch starts with room for as much as this one held: most batches then never grow
      this.#data = Buffer.allocUnsafe(Math.max(FIRST_CAPACITY, this.#length));
      this.#ends = new Uint32Array(this.#ends.length);
    }
    this.#length = 0;
    this.#rows = 0;
    this.#emit(rows);
  }
}
