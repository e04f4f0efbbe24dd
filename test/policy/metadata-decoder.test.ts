/**
 * Goal: user-supplied policy metadata (`--metadata`, library callers) is hostile input: every
 * wrong shape is a POLICY_BAD_METADATA SimError naming its JSON path (exit 30 from the CLI, never
 * a crash), and what the decoder accepts is metadata the engine can decide on.
 * Method: hand-written hostile documents with the path each must name (the two from issue 7
 * first); the CLI run in-process for exit codes; a fast-check run of 10,000 generated documents
 * (fixed seed), random JSON and near-valid metadata with random parts replaced, each of which
 * must either fail with POLICY_BAD_METADATA or decode to metadata that the state codec encodes,
 * that survives a codec and a JSON round trip with the same fingerprint, and that the engine
 * judges without throwing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SimError } from '../../sim/kernel/errors.js';
import { fingerprint, roundTrip } from '../../sim/kernel/codec.js';
import { decodePolicyMetadata } from '../../models/policy/metadata-decoder.js';
import {
  initialMetadata, METADATA_NAMES, type PolicyMetadata,
} from '../../models/policy/metadata.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { POLICY_DIALECTS, type PolicyDialect } from '../../models/policy/dialect.js';
import { runCli } from '../support/cli.js';
import { ID, container, createInput, execInput, hash, securityPolicy } from './engine-support.js';

const SUITE = 'policy/metadata-decoder';

function failure(doc: unknown, dialect: PolicyDialect = 'head'): SimError {
  try {
    decodePolicyMetadata(doc, dialect);
  } catch (error) {
    if (error instanceof SimError) return error;
    throw error;
  }
  throw new Error(`decoded ${JSON.stringify(doc)} without an error`);
}

const hostile: readonly (readonly [string, unknown, string])[] = [
  ['a container list that is a number (issue 7)', { matches: { c1: 5 } }, 'metadata.matches.c1'],
  ['an issuer that is null (issue 7)', { issuers: { a: null } }, 'metadata.issuers.a'],
  ['a document that is an array', [], 'metadata'],
  ['an unknown record', { devicez: {} }, 'metadata.devicez'],
  ['a device hash that is a number', { devices: { '/m0': 1 } }, 'metadata.devices./m0'],
  ['an rw device marked false', { rw_devices: { '/d': false } }, 'metadata.rw_devices./d'],
  ['a started entry without privileged', { started: { c1: {} } },
    'metadata.started.c1.privileged'],
  ['a container without layers', { matches: { c1: [{ ...container(), layers: undefined }] } },
    'metadata.matches.c1[0].layers'],
  ['a container env rule of an unknown strategy', { matches: { c1: [{ ...container(),
    env_rules: [{ pattern: 'A=1', strategy: 'glob' }] }] } },
    'metadata.matches.c1[0].env_rules[0].strategy'],
  ['a feed that is an object', { issuers: { i: { feeds: { f: {} } } } },
    'metadata.issuers.i.feeds.f'],
  ['a loaded fragment without svn', { issuers: { i: { feeds: { f: [{ namespace: 'n' }] } } } },
    'metadata.issuers.i.feeds.f[0].svn'],
  ['an operating system that is not a string', { operatingsystem: { ostype: 7 } },
    'metadata.operatingsystem.ostype'],
  ['a record keyed __proto__ holding a bad value', JSON.parse('{"p9mounts": {"__proto__": 1}}'),
    'metadata.p9mounts.__proto__'],
  ['a signal of -0 (state has one zero)', { matches: { c1: [{ ...container(), signals: [-0] }] } },
    'metadata.matches.c1[0].signals[0]'],
];

for (const [what, doc, path] of hostile) {
  test(`${SUITE}: ${what} is POLICY_BAD_METADATA naming ${path}`, () => {
    const error = failure(doc);
    assert.is(error.code, 'POLICY_BAD_METADATA');
    assert.is(error.detail['path'], path);
    assert.ok(error.message.includes(`${path} `), error.message);
  });
}

test(`${SUITE}: absent records take the dialect's initial value (HEAD records the linux ostype)`,
    () => {
  const head = decodePolicyMetadata({ devices: { '/m0': hash(1) } }, 'head');
  assert.equal(head.operatingsystem, { ostype: 'linux' });
  assert.equal(head.devices, { '/m0': hash(1) });
  assert.equal(decodePolicyMetadata({}, 'v0.14.1').operatingsystem, {});
  assert.equal(Object.keys(head).sort(), [...METADATA_NAMES].sort());
});

test(`${SUITE}: a __proto__ key stays an ordinary own key of its record`, () => {
  const md = decodePolicyMetadata(JSON.parse('{"overlayTargets": {"__proto__": true}}'), 'head');
  assert.ok(Object.hasOwn(md.overlayTargets, '__proto__'));
  assert.is(Object.getPrototypeOf(md.overlayTargets), Object.prototype);
});

async function evalWithMetadata(doc: unknown): Promise<Readonly<{ code: number;
    stderr: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-md-'));
  const file = (name: string, value: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
    return p;
  };
  const policy = file('p.json', securityPolicy());
  return runCli(['policy', 'eval', policy, '--rule', 'create_container', '--input',
    file('i.json', createInput(container(), ID(1))), '--metadata', file('m.json', doc)]);
}

test(`${SUITE}: policy eval --metadata with the issue 7 documents exits 30 naming the file and `
    + 'path', async () => {
  for (const [doc, path] of [[{ matches: { c1: 5 } }, 'metadata.matches.c1'],
      [{ issuers: { a: null } }, 'metadata.issuers.a']] as const) {
    const r = await evalWithMetadata(doc);
    assert.is(r.code, 30, r.stderr);
    assert.match(r.stderr, 'POLICY_BAD_METADATA');
    assert.match(r.stderr, `m.json:`);
    assert.match(r.stderr, path);
  }
});

// ---- fuzz --------------------------------------------------------------------------------------

const KEYS = ['c1', 'c2', '/m0', '/run/gcs/c/x/rootfs', '__proto__', 'constructor', 'ostype'];

/** A policy container as JSON, valid by construction (the decoder's own reader is not used). */
const containerJson = fc.record({
  command: fc.oneof(fc.constant(null), fc.array(fc.string(), { maxLength: 3 })),
  env_rules: fc.array(fc.record({ pattern: fc.string(), strategy: fc.constantFrom('string', 're2'),
    required: fc.boolean() }), { maxLength: 2 }),
  layers: fc.array(fc.constantFrom(hash(1), hash(2)), { maxLength: 2 }),
  mounts: fc.constant([]), exec_processes: fc.array(fc.record({
    command: fc.array(fc.string(), { maxLength: 2 }), signals: fc.array(fc.integer({ min: 1,
      max: 31 }), { maxLength: 2 }) }), { maxLength: 2 }),
  signals: fc.array(fc.integer({ min: 1, max: 31 }), { maxLength: 2 }),
  working_dir: fc.constantFrom('/', '/app'), allow_elevated: fc.boolean(),
  allow_stdio_access: fc.boolean(), no_new_privileges: fc.boolean(),
  user: fc.constant(container().user), capabilities: fc.constant(null),
  seccomp_profile_sha256: fc.constant(''),
});

const recordValue: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  devices: fc.constantFrom(hash(1), hash(2)),
  rw_devices: fc.constant(true),
  matches: fc.array(containerJson, { maxLength: 2 }),
  overlayTargets: fc.constant(true),
  started: fc.record({ privileged: fc.boolean() }),
  p9mounts: fc.constantFrom('c1', 'c2'),
  scratch_mounts: fc.record({ encrypted: fc.boolean() }),
  issuers: fc.record({ feeds: fc.dictionary(fc.constantFrom('f1', 'f2'), fc.array(fc.record({
    namespace: fc.string(), svn: fc.oneof(fc.string(), fc.nat()),
    containers: fc.array(containerJson, { maxLength: 1 }) }), { maxLength: 1 })) }),
  operatingsystem: fc.constantFrom('linux', 'windows'),
};

/** Near-valid metadata: each value valid for its record, or (1 in 4) any JSON at all. */
const nearValid = fc.dictionary(fc.constantFrom(...METADATA_NAMES, 'bogus'), fc.oneof(
  { weight: 3, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: fc.jsonValue() },
), { maxKeys: 6 }).chain((shape) => {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, kind] of Object.entries(shape)) {
    const value = recordValue[name];
    parts[name] = kind === 'valid' && value !== undefined
      ? fc.dictionary(fc.constantFrom(...KEYS), fc.oneof({ weight: 5, arbitrary: value },
        { weight: 1, arbitrary: fc.jsonValue() }), { maxKeys: 3 })
      : fc.constant(kind);
  }
  return fc.record(parts);
});

/** Requests that reach the metadata the document holds. */
function probes(md: PolicyMetadata): readonly (readonly [string, unknown])[] {
  const c = container();
  const id = Object.keys(md.matches)[0] ?? ID(1);
  const target = Object.keys(md.devices)[0] ?? '/run/mounts/scsi/m0';
  return [
    ['mount_device', { target, deviceHash: hash(1) }],
    ['mount_overlay', { containerID: id, layerPaths: [target], target: `/run/gcs/c/${id}/rootfs` }],
    ['create_container', createInput(c, id)],
    ['exec_in_container', execInput(c, id, ['echo', 'hello'])],
    ['signal_container_process', { containerID: id, signal: 9, isInitProcess: true,
      argList: c.command }],
    ['shutdown_container', { containerID: id }],
    ['unmount_device', { unmountTarget: target }],
    ['plan9_mount', { target: `/run/gcs/c/${id}/mounts/m1` }],
  ];
}

test(`${SUITE}: 10,000 generated documents give POLICY_BAD_METADATA or metadata the engine can use`,
    () => {
  const policy = securityPolicy({ framework_version: '0.3.0' });
  let decoded = 0;
  let refused = 0;
  fc.assert(fc.property(fc.oneof(fc.jsonValue(), nearValid),
    fc.constantFrom(...POLICY_DIALECTS), (doc, dialect) => {
      let md: PolicyMetadata;
      try {
        md = decodePolicyMetadata(doc, dialect);
      } catch (error) {
        if (!(error instanceof SimError)) throw error;
        assert.is(error.code, 'POLICY_BAD_METADATA');
        assert.ok(String(error.detail['path']).startsWith('metadata'));
        refused++;
        return;
      }
      decoded++;
      // Valid: state the kernel codec encodes, that survives JSON and the codec unchanged.
      const print = fingerprint(md);
      assert.is(fingerprint(roundTrip(md)), print);
      // JSON.stringify, not canonicalJson: the kernel's canonicalJson drops `__proto__` keys.
      assert.is(fingerprint(decodePolicyMetadata(JSON.parse(JSON.stringify(md)), dialect)), print);
      for (const [rule, input] of probes(md)) {
        const d = evaluateEnforcementPoint(policy, md, rule, input, { dialect });
        assert.type(d.allowed, 'boolean');
      }
    }), { numRuns: 10_000, seed: 70_707 });
  // Both outcomes occur: the run is not all refusals, nor all acceptances.
  assert.ok(decoded > 1_000, `decoded ${decoded}`);
  assert.ok(refused > 1_000, `refused ${refused}`);
  assert.ok(JSON.stringify(initialMetadata('head')).includes('linux'));
});

test.run();
