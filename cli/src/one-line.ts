/**
 * An error's message as one line of an error message: a parser's `ParseError: reason  \n /file:1:44` as
 * `ParseError: reason (/file:1:44)`, and any other line breaks and runs of spaces as one space.
 */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const located = /^([\s\S]*?)\s*\n\s*(\S+:\d+:\d+)\s*$/.exec(message);
  const text = located ? `${located[1]} (${located[2]})` : message;
  return text.replace(/\s*\n\s*/g, ' ').replace(/ {2,}/g, ' ').trim();
}
