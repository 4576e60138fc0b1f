/**
 * The guide cannot rot: every ```ts block of plugin-sdk/README.md is type-checked with the TypeScript
 * compiler API against the built SDK (`@bucardo/plugin-sdk` and `@bucardo/plugin-sdk/testing` resolve to
 * dist/*.d.ts through the package's exports map), each block as a module of its own, named by its first
 * line when that is `// name.ts` (so that another block can import it). The guide's target and its kit
 * test also run: guide-target.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { blockName, tsBlocks, type Block } from './support/guide-blocks.js';

const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(sdk, 'README.md'), 'utf8');

/** Compiles the blocks as files next to this test (so module resolution finds the workspace's packages). */
function diagnostics(blocks: readonly Block[]): string[] {
  const dir = path.join(sdk, 'test', '__guide__');
  const files = new Map(blocks.map((block, index) => [path.join(dir, blockName(block) ?? `block-${index + 1}.ts`), block]));
  // a guide block may import a sibling module by name (`./logger-lines.js`): any default export will do
  files.set(path.join(dir, 'logger-lines.ts'), { line: 0, code: "import { definePlugin } from '@bucardo/plugin-sdk';\nexport default definePlugin({ name: 'x', apply() {} });\n" });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts'], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noUncheckedIndexedAccess: true, verbatimModuleSyntax: true, skipLibCheck: true, noEmit: true, types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => files.get(path.resolve(name))?.code ?? readFile(name);
  host.fileExists = (name) => files.has(path.resolve(name)) || fileExists(name);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) => path.resolve(name) === dir || (directoryExists?.(name) ?? true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError, create) => {
    const block = files.get(path.resolve(name));
    return block ? ts.createSourceFile(name, block.code, language, true, ts.ScriptKind.TS) : getSourceFile(name, language, onError, create);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const block = d.file && files.get(path.resolve(d.file.fileName));
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const at = block && where ? `README.md line ${block.line + where.line}` : d.file?.fileName ?? 'program';
    return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('plugin-sdk/README.md', () => {
  const blocks = tsBlocks(readme);

  it('has the guide\'s sections and code', () => {
    for (const heading of ['## Write a target in 15 minutes', '## Write a conflict strategy', '## Write a logger', '## The lifecycle']) expect(readme).toContain(heading);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
  });

  it('every ts block type-checks against the built SDK', () => {
    expect(diagnostics(blocks)).toEqual([]);
  });

  it('documents every hook in the lifecycle table, in order', async () => {
    const { hookNames } = await import('@bucardo/plugin-sdk');
    const rows = [...readme.matchAll(/^\| `(\w+)` \| (series waterfall|series bail|parallel) \|/gm)].map(([, name]) => name);
    expect(rows).toEqual([...hookNames]);
  });

  it('gives each target session call in the lifecycle table the signature the SDK declares (a walk-through wrote truncate as Promise<void>: TS2416)', () => {
    const table = readme.slice(readme.indexOf('**A target session** sees'), readme.indexOf('## Contracts'));
    const signatures = [...table.matchAll(/^\| (.+?) \|/gm)].flatMap(([, cell]) => [...cell!.matchAll(/`((?:TargetWriter\.)?\w+\??\(.*?\): [^`]+)`/g)].map(([, text]) => text!.replaceAll('\\|', '|')));
    const builtIn = new Set(['Promise', 'Array', 'ReadonlyArray', 'AsyncIterable', 'AbortSignal', 'TargetWriter', 'TargetSession']);
    const types = [...new Set(signatures.flatMap((text) => text.match(/\b[A-Z]\w+/g) ?? []))].filter((name) => !builtIn.has(name));
    const checks = signatures.map((text, index) => {
      const [, writer, name, params, returns] = /^(TargetWriter\.)?(\w+)\??\((.*)\): (.+)$/.exec(text)!;
      const declared = writer ? `TargetWriter['${name}']` : `Required<TargetSession>['${name}']`;
      return `export const check${index}: Same<(${params}) => ${returns}, ${declared}> = true; // ${text}`;
    });
    const code = [
      `import type { TargetSession, TargetWriter, ${types.join(', ')} } from '@bucardo/plugin-sdk';`,
      'type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
      ...checks,
    ].join('\n');
    expect(signatures.length).toBeGreaterThanOrEqual(20);
    expect(diagnostics([{ line: 0, code }])).toEqual([]);
  });
});
