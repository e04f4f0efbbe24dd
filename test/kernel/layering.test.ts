/**
 * Goal: imports flow the way DESIGN.md "Layout" says, and the invariant specification stays
 * independent of the engine it judges (STYLE.md rule 9): the invariant modules import no policy
 * engine code and only types from models/ and the world, and only I4's module reads the engine's
 * metadata.
 * Method: read every import statement of the sources (static `import … from '…'`, `export … from`)
 * and resolve it to a repository path; the tests list the offending file and import, so a
 * failure says what to move. Each test is shown able to fail on a planted line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

type Import = Readonly<{ file: string; target: string; typeOnly: boolean }>;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/g;

/** The imports of `text` (a file at repository path `file`), targets as repository paths. */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[3]!;
    const target = spec.startsWith('.') ? normalize(join(dirname(file), spec))
      .replace(/\.js$/, '.ts') : spec;
    out.push({ file, target, typeOnly: match[2] !== undefined });
  }
  return out;
}

function repoImports(dir: string): Import[] {
  return sources(join(REPO_ROOT, dir)).flatMap((path) =>
    importsOf(relative(REPO_ROOT, path), readFileSync(path, 'utf8')));
}

/** The invariant specification: every module a checker runs. */
const INVARIANT_MODULES = ['properties/invariants.ts', 'properties/invariant-checks.ts',
  'properties/invariant-metadata.ts', 'properties/invariant-attestation.ts',
  'properties/policy-data.ts',
  'properties/policy-semantics.ts'];

function invariantOffences(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const i of imports) {
    if (!INVARIANT_MODULES.includes(i.file)) continue;
    const where = `${i.file} imports ${i.target}`;
    if (i.target.startsWith('models/policy/')) out.push(`${where}: the policy engine`);
    else if (i.target.startsWith('models/') && !i.typeOnly) out.push(`${where}: model code`);
    else if (i.target.startsWith('sim/') && !i.target.startsWith('sim/kernel/') && !i.typeOnly) {
      out.push(`${where}: world code`);
    }
  }
  return out;
}

function metadataReaders(files: readonly Readonly<{ file: string; text: string }>[]): string[] {
  return files.filter((f) => f.file !== 'properties/invariant-metadata.ts'
    && /\.metadata\b/.test(f.text)).map((f) => f.file);
}

test('layering: the invariant modules import no engine code, only types from models and the world',
  () => {
    assert.equal(invariantOffences(repoImports('properties')), []);
  });

test('layering: the layering check itself catches a planted engine import in an invariant', () => {
  const planted = importsOf('properties/invariant-checks.ts',
    "import { evaluateEnforcementPoint } from '../models/policy/engine.js';\n"
    + "import type { GuestState } from '../models/guest/guest-state.js';\n"
    + "import { step } from '../sim/world.js';\n");
  assert.equal(invariantOffences(planted).length, 2);
  assert.ok(invariantOffences(planted)[0]!.includes('the policy engine'));
});

test('layering: only I4 (properties/invariant-metadata.ts) reads the engine\'s metadata', () => {
  const files = INVARIANT_MODULES.map((file) => ({ file,
    text: readFileSync(join(REPO_ROOT, file), 'utf8') }));
  assert.equal(metadataReaders(files), []);
  assert.equal(metadataReaders([{ file: 'properties/invariant-checks.ts',
    text: 'guest.metadata.devices' }]), ['properties/invariant-checks.ts']);
});

/** DESIGN.md "Layout": which models each model may import (value imports). */
const MODEL_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  policy: [], snp: [], hypervisor: ['snp'], verifier: ['snp', 'policy'],
  guest: ['policy', 'snp'],
  // The host builds layer images in the guest's format and speaks the bridge's types.
  host: ['hypervisor', 'guest/bridge-protocol.ts', 'guest/layer-image.ts'],
};

test('layering: models import only sim/kernel and the models DESIGN.md lets them', () => {
  const offences: string[] = [];
  for (const i of repoImports('models')) {
    const from = i.file.split('/')[1]!;
    if (!i.target.startsWith('models/') || i.target.startsWith(`models/${from}/`)) {
      if (i.target.startsWith('sim/') && !i.target.startsWith('sim/kernel/')) {
        offences.push(`${i.file} imports ${i.target}`);
      }
      continue;
    }
    const to = i.target.slice('models/'.length);
    const allowed = MODEL_IMPORTS[from] ?? [];
    if (!allowed.some((a) => to === a || to.startsWith(`${a}/`))) {
      offences.push(`${i.file} imports ${i.target}`);
    }
  }
  assert.equal(offences, []);
});

test.run();
