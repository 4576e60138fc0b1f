import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hookNames } from '@bucardo/plugin-sdk';
import { createSyncHooks } from '../src/hooks.js';

describe('hooks', () => {
  const hooks = createSyncHooks();

  it('are frozen, so plugins cannot replace them', () => {
    expect(Object.isFrozen(hooks)).toBe(true);
  });

  it('are the phases the SDK documents, in lifecycle order', () => {
    expect(Object.keys(hooks)).toEqual([...hookNames]);
  });

  it('match the hook table of ARCHITECTURE.md (name and kind)', () => {
    const architecture = readFileSync(new URL('../../ARCHITECTURE.md', import.meta.url), 'utf8');
    const rows = [...architecture.matchAll(/^\| `(\w+)` \| (\w+) \|/gm)].map(([, name, kind]) => [name, kind]);
    expect(rows).toEqual(Object.entries(hooks).map(([name, hook]) => [name, hook.constructor.name]));
  });
});
