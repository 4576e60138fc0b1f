import { describe, expect, it } from 'vitest';
import { holdsEveryValueOf } from '../src/run/column-types.js';

describe('holdsEveryValueOf', () => {
  it('integers to larger integers or numeric', () => {
    expect(holdsEveryValueOf('bigint', 'integer')).toBe(true);
    expect(holdsEveryValueOf('integer', 'smallint')).toBe(true);
    expect(holdsEveryValueOf('numeric', 'bigint')).toBe(true);
    expect(holdsEveryValueOf('integer', 'bigint')).toBe(false);
    expect(holdsEveryValueOf('numeric(10,0)', 'integer')).toBe(false);
  });

  it('character varying to a longer one, to unbounded, to text; text and unbounded varchar both ways', () => {
    expect(holdsEveryValueOf('character varying(20)', 'character varying(10)')).toBe(true);
    expect(holdsEveryValueOf('character varying(5)', 'character varying(10)')).toBe(false);
    expect(holdsEveryValueOf('text', 'character varying(10)')).toBe(true);
    expect(holdsEveryValueOf('character varying', 'text')).toBe(true);
    expect(holdsEveryValueOf('text', 'character varying')).toBe(true);
    expect(holdsEveryValueOf('character varying(10)', 'text')).toBe(false);
    expect(holdsEveryValueOf('text', 'character(4)')).toBe(false);
  });

  it('the same type without its modifier', () => {
    expect(holdsEveryValueOf('numeric', 'numeric(10,2)')).toBe(true);
    expect(holdsEveryValueOf('timestamp without time zone', 'timestamp(3) without time zone')).toBe(true);
    expect(holdsEveryValueOf('numeric(10,2)', 'numeric')).toBe(false);
    expect(holdsEveryValueOf('timestamp with time zone', 'timestamp(3) without time zone')).toBe(false);
  });
});
