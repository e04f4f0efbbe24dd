/**
 * Goal: the import graph of the TypeScript sources, for layering tests (who may import whom).
 * Method: read each .ts file and collect the specifiers of its value imports and re-exports
 * (`import … from`, `export … from`, side-effect `import '…'`, dynamic `import('…')`); type-only
 * imports (`import type`, `export type`) are erased at run time and are skipped. Relative
 * specifiers are resolved to repository paths (`.js` → `.ts`); package specifiers are kept as
 * they are. A regex over import statements is enough for this codebase's house style (one
 * statement per import, no `require`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { REPO_ROOT } from './paths.js';

const STATIC = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The value-import specifiers of one source file (repository-relative path), resolved. */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(STATIC)) {
    if (match[2] !== undefined) continue; // import type / export type
    specifiers.push(match[3]!);
  }
  for (const match of text.matchAll(DYNAMIC)) specifiers.push(match[1]!);
  return specifiers.map((specifier) => resolveSpecifier(file, specifier));
}

function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const target = normalize(join(dirname(from), specifier)).replace(/\.js$/, '.ts');
  return existsSync(join(REPO_ROOT, target)) ? relative('.', target) : target;
}

/** Every source file reachable from `roots` through value imports, with the path that led there. */
export function reachableFrom(roots: readonly string[]): Map<string, readonly string[]> {
  const seen = new Map<string, readonly string[]>();
  const queue: (readonly string[])[] = roots.map((root) => [root]);
  for (let steps = 0; queue.length > 0; steps++) {
    if (steps > 10_000) throw new Error('import graph: more than 10000 steps');
    const path = queue.shift()!;
    const file = path[path.length - 1]!;
    if (seen.has(file)) continue;
    seen.set(file, path);
    if (!file.endsWith('.ts')) continue; // a package
    for (const next of importsOf(file)) if (!seen.has(next)) queue.push([...path, next]);
  }
  return seen;
}
