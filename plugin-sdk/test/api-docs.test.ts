/**
 * The SDK's public API is documented in the source: every export of both entries (`.` and `./testing`),
 * and every member of an exported interface or class, has a JSDoc comment. Read with the TypeScript
 * compiler API from the source files, so the list below is empty when the rule holds.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** `file:name` (or `file:Type.member`) of every public declaration without a JSDoc comment. */
function undocumented(entry: string): string[] {
  const program = ts.createProgram([path.join(src, entry)], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(path.join(src, entry))!)!;
  const missing = new Set<string>();
  const hasDoc = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).length > 0;
  const where = (node: ts.Node, name: string) => `${path.relative(src, node.getSourceFile().fileName)}:${name}`;
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const declaration of symbol.declarations ?? []) {
      if (declaration.getSourceFile().fileName.includes('node_modules')) continue;
      const target = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
      if (!hasDoc(target)) missing.add(where(declaration, exported.name));
      if (ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration)) {
        for (const member of declaration.members) {
          const name = member.name && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)) ? member.name.text : undefined;
          if (!name || name.startsWith('#') || ts.isConstructorDeclaration(member)) continue;
          const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
          if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) continue;
          if (!hasDoc(member)) missing.add(where(member, `${exported.name}.${name}`));
        }
      }
    }
  }
  return [...missing].sort();
}

describe('the public API is documented in the source', () => {
  it.each(['index.ts', 'testing/index.ts'])('every export of %s and every member of its interfaces and classes has JSDoc', (entry) => {
    expect(undocumented(entry)).toEqual([]);
  });
});
