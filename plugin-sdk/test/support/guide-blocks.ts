/** The ```ts blocks of a README, for the guide's tests. */

export interface Block { readonly line: number; readonly code: string }

/** The file name a block gives itself on its first line (`// target-csv.ts`), if any. */
export function blockName(block: Block): string | undefined {
  return /^\/\/ ([\w.-]+\.ts)\n/.exec(block.code)?.[1];
}

/** The ```ts blocks, with the README line each starts on. */
export function tsBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    blocks.push({ line: text.slice(0, match.index).split('\n').length + 1, code: match[1]! });
  }
  return blocks;
}
