import { helpConnectionNote, helpExitCodes, helpOptions, helpSections, type HelpEntry } from './help.js';
import { nounOf } from './nouns.js';

/**
 * `bucardo help VERB [WORD]` and `bucardo VERB [WORD] --help`: the general help's lines for the command,
 * the options it reads, its exit codes, and where the rest is. `verb` is the command's own name (aliases
 * resolved). A WORD that names one of the verb's nouns narrows the lines to it (`add sync`); any other word
 * is an argument (`kick mysync --help` is about kick), so the verb's lines are all shown.
 */
export function commandHelp(verb: string, word?: string): string {
  const entries = helpSections.flatMap((section) => section.entries).filter((e) => describes(e, verb));
  const noun = nounOf(word);
  const narrowed = noun ? entries.filter((e) => e.commands.includes(`${verb} ${noun}`)) : [];
  const shown = narrowed.length > 0 ? narrowed : entries;
  const options = helpOptions.filter((option) => option.verbs?.includes(verb) ?? true);
  return `Usage of bucardo ${narrowed.length > 0 ? `${verb} ${word!.toLowerCase()}` : verb}:
${shown.map((e) => e.text).join('\n')}

Options:
${options.map((option) => option.text).join('\n')}

${helpConnectionNote}
Exit codes: ${helpExitCodes[verb] ?? '0 success, 1 error'}.
Every command and option: bucardo help
`;
}

function describes(entry: HelpEntry, verb: string): boolean {
  return entry.commands.some((command) => command === verb || command.startsWith(`${verb} `));
}
