import { keyParts, type KeyText } from '@bucardo/plugin-sdk';

const NUMBER = /^-?\d+(\.\d+)?$/;
const collator = new Intl.Collator('en', { numeric: true });

/**
 * Keys in the order people expect: part by part, numbers by value (-10 before -2, 1.05 before 1.5), any
 * other text as people sort it, and a number before a text. Total, so that a sorted insert can rely on it.
 */
export function compareKeys(a: KeyText, b: KeyText): number {
  const left = keyParts(a);
  const right = keyParts(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareParts(left[i]!, right[i]!);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

function compareParts(a: string, b: string): number {
  const aNumber = NUMBER.test(a);
  const bNumber = NUMBER.test(b);
  if (aNumber && bNumber) return compareNumbers(a, b);
  if (aNumber !== bNumber) return aNumber ? -1 : 1;
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Two decimal texts by value, exactly (keys may be beyond a double's precision). */
function compareNumbers(a: string, b: string): number {
  const [aWhole, aFraction = ''] = a.split('.');
  const [bWhole, bFraction = ''] = b.split('.');
  const width = Math.max(aFraction.length, bFraction.length);
  const scaled = (whole: string, fraction: string) => {
    const negative = whole.startsWith('-');
    const magnitude = BigInt(whole.replace('-', '') + fraction.padEnd(width, '0'));
    return negative ? -magnitude : magnitude;
  };
  const difference = scaled(aWhole!, aFraction) - scaled(bWhole!, bFraction);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
