/**
 * Goal: the import graph of the TypeScript sources, for layering tests (who may import whom).
 * Method: read each .ts file and collect its import and re-export statements (`import … from`,
 * `export … from`, side-effect `import '…'`, dynamic `import('…')`), each marked type-only when
 * it is erased at run time (`import type`, `export type`, `typeof import('…')`). Not so
 * `import { type X }`: with verbatimModuleSyntax it still loads the module. Relative specifiers are
 * resolved to repository paths (`.js` → `.ts`); package specifiers are kept as they are. A regex
 * over statements that start a line is enough for this codebase's house style (no `require`).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { REPO_ROOT } from './paths.js';

export type ImportEdge = Readonly<{ from: string; to: string; typeOnly: boolean; line: number }>;

const STATIC = new RegExp(String.raw`^[ \t]*(import|export)[ \t]+(type[ \t]+)?`
  + String.raw`((?:[\w$]+[ \t]*,[ \t]*)?(?:\{[^}]*\}|\*(?:[ \t]+as[ \t]+[\w$]+)?|[\w$]+))`
  + String.raw`\s*from\s*['"]([^'"]+)['"]`, 'gm');
const SIDE_EFFECT = /^[ \t]*import[ \t]*['"]([^'"]+)['"]/gm;
const DYNAMIC = /(typeof\s+)?\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every .ts file under `dir` (repository-relative, `/`-separated), sorted. */
export function sourcesUnder(dir: string): string[] {
  const root = join(REPO_ROOT, dir);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const parent = entry.parentPath.slice(REPO_ROOT.length + 1).split('\\').join('/');
    out.push(posix.join(parent, entry.name));
  }
  return out.sort();
}

/** A relative specifier as a repository path (`./x.js` → `dir/x.ts`); packages stay as they are. */
export function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  return target.replace(/\.js$/, '.ts');
}

/** Every import edge of `file` (repository-relative); `text` defaults to the file's contents. */
export function importEdges(file: string, text?: string): ImportEdge[] {
  const source = text ?? readFileSync(join(REPO_ROOT, file), 'utf8');
  const lineOf = (index: number): number => source.slice(0, index).split('\n').length;
  const edge = (specifier: string, typeOnly: boolean, index: number): ImportEdge =>
    ({ from: file, to: resolveSpecifier(file, specifier), typeOnly, line: lineOf(index) });
  return [
    ...[...source.matchAll(STATIC)].map((m) => edge(m[4]!, m[2] !== undefined, m.index)),
    ...[...source.matchAll(SIDE_EFFECT)].map((m) => edge(m[1]!, false, m.index)),
    ...[...source.matchAll(DYNAMIC)].map((m) => edge(m[2]!, m[1] !== undefined, m.index)),
  ];
}

/** The value-import targets of one source file (what loads at run time), resolved. */
export function importsOf(file: string): string[] {
  return importEdges(file).filter((edge) => !edge.typeOnly).map((edge) => edge.to);
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

/**
 * The fake issuer: certificate builders, signers, key derivation and the TEST-ONLY keys. A
 * relying party (models/verifier) must reach none of them (DESIGN.md; issue 7).
 */
export const FAKE_ISSUER_MODULES: readonly string[] = [
  'models/snp/x509-profile.ts', 'models/snp/certificates.ts', 'models/snp/crl.ts',
  'models/snp/amd-test-keys.ts', 'models/snp/amd-test-key-pems.ts', 'models/snp/rsa-pss.ts',
  'models/snp/endorsement-keys.ts', 'models/snp/report-signature.ts', 'models/snp/firmware.ts',
  'models/snp/report-generator.ts', 'models/snp/platform.ts', 'models/snp/cert-table.ts',
];
