/**
 * Goal: the import rules of DESIGN.md "Layout" hold for every source file. Imports flow one way:
 * sim/kernel ← models/* ← sim/{world,explore,cli,server,index,…} ← scenarios, properties, test.
 * Inside models: policy and snp import no other model; hypervisor → snp; guest → policy and snp
 * (guest messages only); host → hypervisor, and the bridge message *types* of guest; verifier →
 * snp (never the fake issuer: certificate builder, CRL builder, test keys) and policy (the hash
 * only). properties/invariants.ts imports no engine code (models as types only). The CLI's
 * commands reach models only through the public API (sim/index.ts and its faces in sim/api/).
 * Method: read the import and re-export statements (static, side-effect and dynamic) of every
 * .ts file under sim/, models/, scenarios/ and properties/; resolve relative specifiers to
 * repository paths; judge each edge against the rule table. `import type` / `export type` is
 * recorded as type-only (erased at run time); `import { type X }` is not, because with
 * verbatimModuleSyntax it still loads the module. Each rule is also shown to fire on a made-up
 * edge, so a rule that can never fail is caught.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

const SUITE = 'kernel/layering';

type Edge = Readonly<{ from: string; to: string; typeOnly: boolean; line: number }>;

const STATIC = new RegExp(String.raw`^[ \t]*(import|export)[ \t]+(type[ \t]+)?`
  + String.raw`((?:[\w$]+[ \t]*,[ \t]*)?(?:\{[^}]*\}|\*(?:[ \t]+as[ \t]+[\w$]+)?|[\w$]+))`
  + String.raw`\s*from\s*['"]([^'"]+)['"]`, 'gm');
const SIDE_EFFECT = /^[ \t]*import[ \t]*['"]([^'"]+)['"]/gm;
const DYNAMIC = /(typeof\s+)?\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every .ts file under `dir` (repository-relative, `/`-separated), sorted. */
function sourcesUnder(dir: string): string[] {
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
function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  return target.replace(/\.js$/, '.ts');
}

/** The import edges of one source file. */
export function importEdges(file: string, text: string): Edge[] {
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length;
  const edges: Edge[] = [];
  for (const m of text.matchAll(STATIC)) {
    edges.push({ from: file, to: resolveSpecifier(file, m[4]!), typeOnly: m[2] !== undefined,
      line: lineOf(m.index) });
  }
  for (const m of text.matchAll(SIDE_EFFECT)) {
    edges.push({ from: file, to: resolveSpecifier(file, m[1]!), typeOnly: false,
      line: lineOf(m.index) });
  }
  for (const m of text.matchAll(DYNAMIC)) {
    edges.push({ from: file, to: resolveSpecifier(file, m[2]!), typeOnly: m[1] !== undefined,
      line: lineOf(m.index) });
  }
  return edges;
}

// ---------------------------------------------------------------------------------------------
// The rules

/** Which other models a model may import (DESIGN.md "Layout"). */
const MODEL_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  snp: [], policy: [], hypervisor: ['snp'], guest: ['policy', 'snp'], host: ['hypervisor', 'guest'],
  verifier: ['snp', 'policy'],
};

/**
 * Narrowed model edges: `guest → snp` only to guest messages; `host → guest` only to the bridge
 * message types; `verifier → policy` only to the policy hash.
 */
const NARROWED: Readonly<Record<string, Readonly<{ allowed: RegExp; typeOnly: boolean;
  why: string }>>> = {
  'guest→snp': { allowed: /^models\/snp\/guest-message/, typeOnly: false,
    why: 'guest may use snp guest messages only' },
  'host→guest': { allowed: /^models\/guest\/bridge/, typeOnly: true,
    why: 'host may use the bridge message *types* of guest only' },
  'verifier→policy': { allowed: /^models\/policy\/load-policy\.ts$/, typeOnly: false,
    why: 'verifier may use the policy hash (securityPolicyDigestHex) only' },
};

/** The fake issuer: what a relying party must never load (DESIGN.md; issue 7 build item 8). */
const FAKE_ISSUER = /^models\/snp\/(certificates|x509-profile|crl|amd-test-keys|amd-test-key-pems|endorsement-keys|report-generator|firmware)\.ts$|^models\/snp\/test-keys\//;

/**
 * The public API modules commands may import: sim/index.ts and its faces in sim/api/ (each
 * re-exported in full by sim/index.ts; a test below checks it). A face lets a command whose
 * start-up time matters (`measure`, `snp verify`) load only the models it uses.
 */
const PUBLIC_API = /^sim\/(index\.ts$|api\/)/;

type Layer = Readonly<{ kind: 'kernel' | 'model' | 'face' | 'commands' | 'top' | 'invariants'
  | 'test' | 'package'; model?: string }>;

function layerOf(path: string): Layer {
  if (!path.includes('/') || !/^(sim|models|scenarios|properties|test)\//.test(path)) {
    return { kind: 'package' };
  }
  if (path.startsWith('sim/kernel/')) return { kind: 'kernel' };
  if (path.startsWith('sim/commands/')) return { kind: 'commands' };
  if (path.startsWith('sim/')) return { kind: 'face' };
  if (path.startsWith('models/')) return { kind: 'model', model: path.split('/')[1]! };
  if (path === 'properties/invariants.ts') return { kind: 'invariants' };
  if (path.startsWith('test/')) return { kind: 'test' };
  return { kind: 'top' };                            // scenarios/, properties/
}

/** Why `edge` breaks a rule, or undefined when it is allowed. */
export function violation(edge: Edge): string | undefined {
  const from = layerOf(edge.from);
  const to = layerOf(edge.to);
  if (to.kind === 'package') return undefined;
  if (to.kind === 'test') return 'only tests import test code';
  switch (from.kind) {
    case 'kernel':
      return to.kind === 'kernel' ? undefined : 'sim/kernel imports only sim/kernel';
    case 'model': return modelViolation(edge, from.model!, to);
    case 'face':
      return to.kind === 'top' || to.kind === 'invariants'
        ? 'sim/ imports no scenarios or properties' : undefined;
    case 'commands':
      if (to.kind === 'kernel' || to.kind === 'commands' || PUBLIC_API.test(edge.to)) return undefined;
      return 'sim/commands reach models only through the public API (sim/index.ts, sim/api/)';
    case 'invariants':
      if (to.kind === 'kernel') return undefined;
      if (to.kind === 'model' && edge.typeOnly) return undefined;
      return 'properties/invariants.ts imports sim/kernel and model *types* only (no engine code)';
    default:
      return undefined;                              // scenarios, properties: anything but test
  }
}

function modelViolation(edge: Edge, model: string, to: Layer): string | undefined {
  if (to.kind === 'kernel') return undefined;
  if (to.kind !== 'model') return `models import only sim/kernel and models (${edge.to})`;
  if (to.model === model) return undefined;
  if (!(MODEL_DEPENDENCIES[model] ?? []).includes(to.model!)) {
    return `${model} may not import ${to.model}`;
  }
  if (model === 'verifier' && FAKE_ISSUER.test(edge.to)) {
    return 'the verifier does not import the fake issuer';
  }
  const narrowed = NARROWED[`${model}→${to.model!}`];
  if (narrowed === undefined) return undefined;
  if (!narrowed.allowed.test(edge.to)) return narrowed.why;
  if (narrowed.typeOnly && !edge.typeOnly) return narrowed.why;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The sources

const FILES = ['sim', 'models', 'scenarios', 'properties'].flatMap(sourcesUnder);
const EDGES = FILES.flatMap((file) =>
  importEdges(file, readFileSync(join(REPO_ROOT, file), 'utf8')));

function describe(edge: Edge, why: string): string {
  return `${edge.from}:${edge.line} → ${edge.to}${edge.typeOnly ? ' (type)' : ''}: ${why}`;
}

test(`${SUITE}: the parser sees every source file and their imports`, () => {
  assert.ok(FILES.includes('sim/index.ts') && FILES.includes('sim/kernel/errors.ts'));
  assert.ok(FILES.some((file) => file.startsWith('models/snp/')));
  // Every relative target exists (a wrong resolution would hide an edge from the rules).
  const missing = EDGES.filter((e) => e.to.includes('/') && e.to.endsWith('.ts')
    && !existsSync(join(REPO_ROOT, e.to)));
  assert.equal(missing.map((e) => `${e.from}:${e.line} → ${e.to}`), []);
  assert.ok(EDGES.length > FILES.length, `${EDGES.length} edges over ${FILES.length} files`);
});

test(`${SUITE}: every import in sim/, models/, scenarios/ and properties/ follows DESIGN.md`, () => {
  const broken = EDGES.flatMap((edge) => {
    const why = violation(edge);
    return why === undefined ? [] : [describe(edge, why)];
  });
  assert.equal(broken, []);
});

test(`${SUITE}: the verifier does not reach the fake issuer through any chain of imports`, () => {
  const runtime = new Map<string, string[]>();
  for (const edge of EDGES) {
    if (edge.typeOnly) continue;
    runtime.set(edge.from, [...(runtime.get(edge.from) ?? []), edge.to]);
  }
  const roots = FILES.filter((file) => file.startsWith('models/verifier/'));
  const seen = new Map<string, string>(roots.map((root) => [root, root]));
  const queue = [...roots];
  for (let steps = 0; queue.length > 0; steps++) {
    assert.ok(steps < 10_000, 'import graph walk is bounded');
    const file = queue.shift()!;
    for (const next of runtime.get(file) ?? []) {
      if (seen.has(next)) continue;
      seen.set(next, `${seen.get(file)!} → ${next}`);
      queue.push(next);
    }
  }
  const reached = [...seen.keys()].filter((file) => FAKE_ISSUER.test(file));
  assert.equal(reached.map((file) => seen.get(file)), []);
});

// Each rule can fire: made-up edges that must be judged violations.

const BAD_EDGES: readonly (readonly [string, string, boolean])[] = [
  ['sim/kernel/rng.ts', 'models/snp/product.ts', false],
  ['models/snp/platform.ts', 'models/policy/engine.ts', false],
  ['models/policy/engine.ts', 'models/snp/product.ts', true],
  ['models/hypervisor/vmsa.ts', 'models/policy/engine.ts', false],
  ['models/guest/agent.ts', 'models/snp/firmware.ts', false],
  ['models/host/shim.ts', 'models/guest/bridge-messages.ts', false],
  ['models/host/shim.ts', 'models/guest/agent.ts', true],
  ['models/verifier/appraisal.ts', 'models/snp/x509-profile.ts', false],
  ['models/verifier/appraisal.ts', 'models/policy/engine.ts', false],
  ['models/snp/firmware.ts', 'sim/index.ts', false],
  ['sim/world.ts', 'scenarios/catalog.ts', false],
  ['sim/commands/snp-show.ts', 'models/snp/report-view.ts', false],
  ['properties/invariants.ts', 'models/policy/engine.ts', false],
  ['properties/invariants.ts', 'sim/world.ts', true],
  ['scenarios/catalog.ts', 'test/support/paths.ts', false],
];

test(`${SUITE}: each rule fires on an edge that breaks it`, () => {
  const allowed = BAD_EDGES.filter(([from, to, typeOnly]) =>
    violation({ from, to, typeOnly, line: 1 }) === undefined);
  assert.equal(allowed, []);
});

test(`${SUITE}: the edges DESIGN.md allows are allowed`, () => {
  const good: readonly (readonly [string, string, boolean])[] = [
    ['models/hypervisor/vmsa.ts', 'models/snp/launch/page-info.ts', false],
    ['models/guest/agent.ts', 'models/policy/engine.ts', false],
    ['models/guest/agent.ts', 'models/snp/guest-messages.ts', false],
    ['models/host/shim.ts', 'models/guest/bridge-messages.ts', true],
    ['models/host/shim.ts', 'models/hypervisor/launch-vm.ts', false],
    ['models/verifier/report-verifier.ts', 'models/snp/attestation-report.ts', false],
    ['models/verifier/report-verifier.ts', 'models/policy/load-policy.ts', false],
    ['sim/commands/snp-show.ts', 'sim/index.ts', false],
    ['sim/commands/snp-show.ts', 'sim/api/verify.ts', false],
    ['properties/invariants.ts', 'models/guest/agent.ts', true],
    ['scenarios/catalog.ts', 'sim/world.ts', false],
  ];
  const refused = good.filter(([from, to, typeOnly]) =>
    violation({ from, to, typeOnly, line: 1 }) !== undefined);
  assert.equal(refused, []);
});

test(`${SUITE}: the parser reads each statement form, and types only where they are erased`, () => {
  const text = [
    "import { a, b } from './a.js';",
    "import type { T } from '../models/snp/t.js';",
    "import {\n  type U,\n  c,\n} from './multi.js';",
    "import * as ns from 'node:fs';",
    "import d, { e } from './d.js';",
    "export * from './re.js';",
    "export type { V } from './v.js';",
    "import './side.js';",
    "const m = await import('./lazy.js');",
    '// import { x } from "./comment.js";',
  ].join('\n');
  const edges = importEdges('sim/x.ts', text);
  assert.equal(edges.map((e) => [e.to, e.typeOnly]).sort(), [
    ['models/snp/t.ts', true], ['node:fs', false], ['sim/a.ts', false], ['sim/d.ts', false],
    ['sim/lazy.ts', false], ['sim/multi.ts', false], ['sim/re.ts', false], ['sim/side.ts', false],
    ['sim/v.ts', true],
  ].sort());
});

test(`${SUITE}: every face in sim/api/ is re-exported in full by sim/index.ts`, async () => {
  const faces = FILES.filter((file) => file.startsWith('sim/api/'));
  assert.ok(faces.length > 0, 'there are faces');
  const index = await import('../../sim/index.js') as Record<string, unknown>;
  const star = EDGES.filter((e) => e.from === 'sim/index.ts').map((e) => e.to);
  for (const face of faces) {
    assert.ok(star.includes(face), `sim/index.ts re-exports ${face}`);
    const module = await import(`../../${face.replace(/\.ts$/, '.js')}`) as Record<string, unknown>;
    const names = Object.keys(module);
    assert.ok(names.length > 0, `${face} exports values`);
    assert.equal(names.filter((name) => index[name] !== module[name]), [], face);
  }
});

test.run();
