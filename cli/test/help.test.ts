/** The help text names only commands that exist, and every command that exists is in it (aliases aside). */
import { describe, expect, it } from 'vitest';
import { commandHelp } from '../src/command-help.js';
import { helpText } from '../src/help.js';
import { knownVerbs } from '../src/main.js';

/** First words of each command in the Set up, Change and Run sections ("a | b" lists several). */
function helpVerbs(): string[] {
  const sections = helpText.slice(helpText.indexOf('Set up:'), helpText.indexOf('Options:'));
  return sections.split('\n')
    .filter((line) => /^ {2}[a-z]/.test(line))
    .flatMap((line) => line.trim().split(/\s{2,}/)[0]!.split(' | '))
    .map((command) => command.trim().split(' ')[0]!);
}

describe('bucardo --help', () => {
  it('lists only known commands', () => {
    const known = new Set(knownVerbs());
    const listed = helpVerbs();
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.filter((verb) => !known.has(verb))).toEqual([]);
  });

  it('lists every command under its own name', () => {
    expect(new Set(helpVerbs())).toEqual(new Set(knownVerbs()));
  });

  it('has lines of its own for bucardo help COMMAND, for every command', () => {
    for (const verb of knownVerbs()) {
      const first = commandHelp(verb).split('\n')[1]!;
      expect(first, `bucardo help ${verb}`).toMatch(new RegExp(`^ {2}(\\S.* )?${verb}\\b`));
    }
  });
});
