/** Generated names stay within PostgreSQL's 63 bytes and stay apart when the names they come from differ. */
import { describe, expect, it } from 'vitest';
import { additiveColumn, captureNames } from '../src/capture-names.js';

const unquote = (quoted: string) => quoted.slice(1, -1).replace(/""/g, '"');

describe('additiveColumn', () => {
  it('keeps short names as they are', () => {
    expect(additiveColumn('abalance')).toBe('"bucardo_add_abalance"');
  });

  it('gives two long column names that share their first 60 characters two columns, each within 63 bytes', () => {
    const shared = 'é'.repeat(30); // 60 bytes of UTF-8: a slice by characters would not see the limit
    const first = unquote(additiveColumn(`${shared}_first`));
    const second = unquote(additiveColumn(`${shared}_second`));
    expect(first).not.toBe(second);
    for (const name of [first, second]) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  });
});

describe('captureNames', () => {
  it('keeps long table names within 63 bytes and apart', () => {
    const long = 'x'.repeat(70);
    const a = captureNames({ schema: 'public', name: `${long}_a` }).deltaName;
    const b = captureNames({ schema: 'public', name: `${long}_b` }).deltaName;
    expect(a).not.toBe(b);
    for (const name of [a, b]) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  });
});
