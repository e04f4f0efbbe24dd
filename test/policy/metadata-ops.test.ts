/**
 * Goal: the policy engine's metadata behaves as regopolicyinterpreter's store: a fresh policy's
 * records are empty except HEAD's operating system, lookups read own keys only, add / update /
 * remove apply in order with the interpreter's error on a second add (earlier operations stay,
 * later ones never run), only touched records are copied, and fragment includes are collected in
 * issuer/feed key order. The decoder reads every record back with the shape the rules need.
 * Method: states and operation lists written by hand; expected records and the error text come
 * from spec (c) ("cannot add metadata value, key <name>[<key>] already exists") and the module
 * contracts, not from running the code first.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import {
  METADATA_NAMES, applyMetadataOps, emptyMetadata, fragmentContainers, fragmentExternalProcesses,
  fragmentFragments, has, initialMetadata, lookup, type LoadedFragment, type MetadataName,
  type PolicyMetadata,
} from '../../models/policy/metadata.js';
import { decodePolicyMetadata } from '../../models/policy/metadata-decoder.js';
import { container } from './engine-support.js';

const SUITE = 'policy/metadata-ops';
const EMPTY_RECORDS = { devices: {}, rw_devices: {}, matches: {}, overlayTargets: {}, started: {},
  p9mounts: {}, scratch_mounts: {}, issuers: {} };

test(`${SUITE}: a fresh policy has empty records; HEAD records its linux ostype`, () => {
  assert.equal([...METADATA_NAMES], ['devices', 'rw_devices', 'matches', 'overlayTargets',
    'started', 'p9mounts', 'scratch_mounts', 'issuers', 'operatingsystem']);
  assert.equal(initialMetadata('head'), { ...EMPTY_RECORDS,
    operatingsystem: { ostype: 'linux' } });
  assert.equal(initialMetadata('v0.14.1'), { ...EMPTY_RECORDS, operatingsystem: {} });
  assert.is(emptyMetadata(), initialMetadata('head'));
  assert.ok(Object.isFrozen(emptyMetadata()) && Object.isFrozen(emptyMetadata().devices));
});

test(`${SUITE}: lookups read own keys only, so __proto__ and toString are plain keys`, () => {
  const record: Readonly<Record<string, string>> = JSON.parse('{"__proto__": "x", "a": "y"}');
  assert.is(lookup(record, '__proto__'), 'x');
  assert.is(lookup(record, 'a'), 'y');
  assert.is(lookup(record, 'toString'), undefined);
  assert.is(lookup({}, 'constructor'), undefined);
  assert.ok(has(record, '__proto__'));
  assert.not.ok(has({}, 'toString'));
  assert.not.ok(has(record, 'b'));
});

test(`${SUITE}: no operations give back the very same metadata`, () => {
  const metadata = emptyMetadata();
  const result = applyMetadataOps(metadata, []);
  assert.is(result.metadata, metadata);
  assert.not.ok('error' in result);
});

test(`${SUITE}: add, update and remove apply in order; untouched records are shared`, () => {
  const before = emptyMetadata();
  const result = applyMetadataOps(before, [
    { name: 'devices', action: 'add', key: '/m0', value: 'h0' },
    { name: 'devices', action: 'add', key: '/m1', value: 'h1' },
    { name: 'devices', action: 'update', key: '/m0', value: 'h2' },
    { name: 'devices', action: 'remove', key: '/m1' },
    { name: 'devices', action: 'remove', key: '/never' },
    { name: 'started', action: 'add', key: 'c1', value: { privileged: true } },
  ]);
  assert.not.ok('error' in result);
  assert.equal(result.metadata.devices, { '/m0': 'h2' });
  assert.equal(result.metadata.started, { c1: { privileged: true } });
  assert.is(result.metadata.matches, before.matches, 'an untouched record is not copied');
  assert.is(result.metadata.operatingsystem, before.operatingsystem);
  assert.equal(before.devices, {}, 'the input is never changed');
  assert.equal(Object.keys(result.metadata).sort(), [...METADATA_NAMES].sort());
});

test(`${SUITE}: an add of an existing key fails; earlier operations stay and later ones never run`,
    () => {
  const start = applyMetadataOps(emptyMetadata(), [
    { name: 'devices', action: 'add', key: '/m0', value: 'h0' }]).metadata;
  const result = applyMetadataOps(start, [
    { name: 'p9mounts', action: 'add', key: '/t', value: 'c1' },
    { name: 'devices', action: 'add', key: '/m0', value: 'other' },
    { name: 'overlayTargets', action: 'add', key: '/o', value: true },
  ]);
  assert.is(result.error, 'cannot add metadata value, key devices[/m0] already exists');
  assert.equal(result.metadata.p9mounts, { '/t': 'c1' });
  assert.equal(result.metadata.devices, { '/m0': 'h0' });
  assert.equal(result.metadata.overlayTargets, {});
  // update of an existing key, and add after remove, are no errors.
  const ok = applyMetadataOps(start, [
    { name: 'devices', action: 'update', key: '/m0', value: 'h9' },
    { name: 'devices', action: 'remove', key: '/m0' },
    { name: 'devices', action: 'add', key: '/m0', value: 'h8' },
  ]);
  assert.not.ok('error' in ok);
  assert.equal(ok.metadata.devices, { '/m0': 'h8' });
});

test(`${SUITE}: host-chosen keys such as __proto__ become ordinary own entries`, () => {
  const result = applyMetadataOps(emptyMetadata(), [
    { name: 'p9mounts', action: 'add', key: '__proto__', value: 'c1' },
    { name: 'p9mounts', action: 'add', key: 'constructor', value: 'c2' },
  ]);
  assert.not.ok('error' in result);
  assert.equal(Object.keys(result.metadata.p9mounts), ['__proto__', 'constructor']);
  assert.is(lookup(result.metadata.p9mounts, '__proto__'), 'c1');
  assert.is(Object.getPrototypeOf(result.metadata.p9mounts), Object.prototype);
  const again = applyMetadataOps(result.metadata, [
    { name: 'p9mounts', action: 'add', key: '__proto__', value: 'c3' }]);
  assert.is(again.error, 'cannot add metadata value, key p9mounts[__proto__] already exists');
});

function withFragments(feeds: Readonly<Record<string, Readonly<Record<string,
    readonly LoadedFragment[]>>>>): PolicyMetadata {
  const issuers = Object.fromEntries(Object.entries(feeds).map(([issuer, byFeed]) =>
    [issuer, { feeds: byFeed }]));
  return { ...emptyMetadata(), issuers };
}

test(`${SUITE}: fragment includes are collected in issuer, then feed key order`, () => {
  const c = (name: string) => container({ name });
  const metadata = withFragments({
    'did:b': { 'feed/2': [{ namespace: 'b2', svn: 1, containers: [c('b2')] }],
      'feed/1': [{ namespace: 'b1', svn: 1, containers: [c('b1a'), c('b1b')] },
        { namespace: 'b1old', svn: 0 }] },
    'did:a': { 'feed/9': [{ namespace: 'a9', svn: 1, containers: [c('a9')],
      external_processes: [{ command: ['x'], env_rules: [], working_dir: '/',
        allow_stdio_access: false }],
      fragments: [{ issuer: 'i', feed: 'f', minimum_svn: '1', includes: [] }] }] },
  });
  assert.equal(fragmentContainers(metadata).map((x) => x.name), ['a9', 'b1a', 'b1b', 'b2']);
  assert.equal(fragmentExternalProcesses(metadata).map((p) => p.command), [['x']]);
  assert.equal(fragmentFragments(metadata).map((f) => f.issuer), ['i']);
  assert.equal(fragmentContainers(emptyMetadata()), []);
  assert.equal(fragmentFragments(withFragments({ 'did:a': { f: [] } })), []);
});

function decodeFailure(doc: unknown): SimError {
  try {
    decodePolicyMetadata(doc, 'head');
  } catch (error) {
    if (error instanceof SimError) return error;
    throw error;
  }
  throw new Error('decoded without an error');
}

test(`${SUITE}: every record decodes back to the value it holds`, () => {
  const c = container({ name: 'm' });
  const doc = {
    devices: { '/m0': 'h0' }, rw_devices: { '/d': true }, matches: { c1: [c] },
    overlayTargets: { '/o': true }, started: { c1: { privileged: false } },
    p9mounts: { '/t': 'c1' }, scratch_mounts: { '/s': { encrypted: true } },
    issuers: { 'did:a': { feeds: { f: [{ namespace: 'n', svn: '2', containers: [c] },
      { namespace: 'm', svn: 1 }] } } },
    operatingsystem: { ostype: 'windows' },
  };
  const decoded = decodePolicyMetadata(doc, 'v0.14.1');
  assert.equal(decoded, doc);
  assert.equal(Object.keys(decoded), [...METADATA_NAMES]);
});

test(`${SUITE}: absent records take the dialect's initial value`, () => {
  assert.equal(decodePolicyMetadata({}, 'head'), initialMetadata('head'));
  assert.equal(decodePolicyMetadata({}, 'v0.14.1'), initialMetadata('v0.14.1'));
  assert.equal(decodePolicyMetadata({ devices: { a: 'b' } }, 'v0.14.1').operatingsystem, {});
});

test(`${SUITE}: the decoder's messages name the path and what it must be`, () => {
  const unknown = decodeFailure({ devicez: {} });
  assert.is(unknown.message, 'POLICY_BAD_METADATA: metadata.devicez is not a metadata record '
    + '(known: devices, rw_devices, matches, overlayTargets, started, p9mounts, scratch_mounts, '
    + 'issuers, operatingsystem)');
  assert.is(decodeFailure({ overlayTargets: { '/o': 1 } }).message,
    'POLICY_BAD_METADATA: metadata.overlayTargets./o must be true');
  assert.is(decodeFailure({ matches: { c1: {} } }).message,
    'POLICY_BAD_METADATA: metadata.matches.c1 must be an array of policy containers');
  assert.is(decodeFailure({ issuers: { i: { feeds: { f: 'x' } } } }).message,
    'POLICY_BAD_METADATA: metadata.issuers.i.feeds.f must be an array of loaded fragments');
  assert.is(decodeFailure({ scratch_mounts: { '/s': {} } }).detail['path'],
    'metadata.scratch_mounts./s.encrypted');
  assert.is(decodeFailure({ p9mounts: { '/t': 1 } }).detail['path'], 'metadata.p9mounts./t');
  assert.is(decodeFailure({ issuers: { i: { feeds: { f: [{ namespace: 1, svn: 1 }] } } } })
    .detail['path'], 'metadata.issuers.i.feeds.f[0].namespace');
  for (const key of ['containers', 'fragments', 'external_processes']) {
    assert.is(decodeFailure({ issuers: { i: { feeds: { f: [{ namespace: 'n', svn: 1,
      [key]: [7] }] } } } }).detail['path'], `metadata.issuers.i.feeds.f[0].${key}[0]`);
  }
  assert.is(decodeFailure({ issuers: { i: {} } }).detail['path'], 'metadata.issuers.i.feeds');
});

/** Every entry of the named records is an ordinary data property, as JSON.parse makes them. */
function assertPlainRecords(metadata: PolicyMetadata, names: readonly MetadataName[]): void {
  for (const name of names) {
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(
      metadata[name]))) {
      assert.equal({ enumerable: descriptor.enumerable, writable: descriptor.writable,
        configurable: descriptor.configurable }, { enumerable: true, writable: true,
        configurable: true }, `${name}[${key}]`);
    }
  }
}

test(`${SUITE}: entries written by operations or read by the decoder are plain data properties`,
    () => {
  const applied = applyMetadataOps(emptyMetadata(), [
    { name: 'p9mounts', action: 'add', key: '__proto__', value: 'c1' },
    { name: 'devices', action: 'add', key: '/m0', value: 'h0' },
    { name: 'devices', action: 'update', key: '/m0', value: 'h1' },
  ]).metadata;
  assertPlainRecords(applied, ['p9mounts', 'devices']);
  assert.is(Object.keys(applied.devices).length + Object.keys(applied.p9mounts).length, 2);
  const decoded = decodePolicyMetadata(JSON.parse('{"devices": {"__proto__": "h", "/m": "x"}, '
    + '"rw_devices": {"/d": true}, "started": {"c": {"privileged": true}}}'), 'head');
  assertPlainRecords(decoded, ['devices', 'rw_devices', 'started']);
  assert.is(Object.keys(decoded.devices).length, 2);
});

test(`${SUITE}: a __proto__ key in a decoded record stays an own key`, () => {
  const decoded = decodePolicyMetadata(JSON.parse('{"devices": {"__proto__": "h"}}'), 'head');
  assert.equal(Object.keys(decoded.devices), ['__proto__']);
  assert.is(lookup(decoded.devices, '__proto__'), 'h');
});

test.run();
