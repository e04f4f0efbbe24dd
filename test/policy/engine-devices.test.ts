/**
 * Goal: mount_device / rw_mount_device / unmount_device / rw_unmount_device / blockdev allow and
 * deny exactly as spec (c) says, with the metadata before and after each step.
 * Method: table-driven calls against hand-built policies; expected reasons are the spec strings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { hash, run, securityPolicy } from './engine-support.js';

const policy = securityPolicy();
const M0 = '/run/mounts/scsi/m0';

test('policy/engine mount_device: a policy layer at a SCSI path is allowed and recorded in devices',
    () => {
  const before = emptyMetadata();
  const d = evaluateEnforcementPoint(policy, before, 'mount_device',
    { target: M0, deviceHash: hash(1) });
  assert.ok(d.allowed);
  assert.equal(d.metadata.devices, { [M0]: hash(1) });
  assert.equal(before.devices, {});
  assert.equal(d.delta, [{ name: 'devices', action: 'add', key: M0, value: hash(1) }]);
});

const denials: readonly (readonly [string, Record<string, unknown>, string])[] = [
  ['a hash that is no layer of any container', { target: M0, deviceHash: hash(9) },
    'deviceHash not found'],
  ['a target outside /run/mounts/scsi/m<N>', { target: '/run/layers/p0', deviceHash: hash(1) },
    'mountpoint invalid'],
  ['a path-traversal target', { target: '/run/mounts/scsi/m1/../../..', deviceHash: hash(1) },
    'mountpoint invalid'],
  ['a target with a suffix (anchored regex)', { target: '/run/mounts/scsi/m1x',
    deviceHash: hash(1) }, 'mountpoint invalid'],
];
for (const [condition, input, reason] of denials) {
  test(`policy/engine mount_device: ${condition} is denied with "${reason}"`, () => {
    const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device', input);
    assert.is(d.allowed, false);
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
    assert.equal(d.delta, []);
  });
}

test('policy/engine mount_device: a second device at the same target is denied and metadata is '
    + 'unchanged', () => {
  const [first, second] = run(policy, [['mount_device', { target: M0, deviceHash: hash(1) }],
    ['mount_device', { target: M0, deviceHash: hash(2) }]]);
  assert.is(second!.allowed, false);
  assert.ok(second!.reasons.includes('device already mounted at path'));
  assert.is(second!.metadata, first!.metadata);
});

test('policy/engine mount_device: an RO mount on an RW scratch target is denied', () => {
  const rw = `/run/gcs/c/${'a'.repeat(64)}`;
  const [a, b] = run(policy, [['rw_mount_device', { target: rw, encrypted: true,
    ensureFilesystem: true, filesystem: 'ext4' }],
    ['mount_device', { target: rw, deviceHash: hash(1) }]]);
  assert.ok(a!.allowed);
  assert.ok(b!.reasons.includes('device already mounted at path'));
});

test('policy/engine mount_device: v0.14.1 dialect has no target check', () => {
  const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device',
    { target: '/run/layers/p0', deviceHash: hash(1) }, { dialect: 'v0.14.1' });
  assert.ok(d.allowed);
  assert.equal(Object.keys(d.metadata.devices), ['/run/layers/p0']);
});

const RW = `/run/gcs/c/${'b'.repeat(64)}`;
const rwDenials: readonly (readonly [string, Record<string, unknown>, string])[] = [
  ['unencrypted without allow_unencrypted_scratch',
    { encrypted: false, ensureFilesystem: true, filesystem: 'xfs' },
    'unencrypted scratch not allowed, non-readonly mount request for SCSI disk must request '
      + 'encryption'],
  ['ensureFilesystem false', { encrypted: true, ensureFilesystem: false, filesystem: 'ext4' },
    'ensureFilesystem must be set on rw device mounts'],
  ['filesystem btrfs', { encrypted: true, ensureFilesystem: true, filesystem: 'btrfs' },
    'rw device mounts uses a filesystem that is not allowed'],
];
for (const [condition, input, reason] of rwDenials) {
  test(`policy/engine rw_mount_device: ${condition} is denied with "${reason}"`, () => {
    const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'rw_mount_device',
      { target: RW, ...input });
    assert.is(d.allowed, false);
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
  });
}

test('policy/engine rw_mount_device: unencrypted is allowed when the policy allows unencrypted '
    + 'scratch', () => {
  const open = securityPolicy({ flags: { allow_unencrypted_scratch: true } });
  const d = evaluateEnforcementPoint(open, emptyMetadata(), 'rw_mount_device',
    { target: RW, encrypted: false, ensureFilesystem: true, filesystem: 'ext4' });
  assert.ok(d.allowed);
  assert.equal(d.metadata.rw_devices, { [RW]: true });
});

test('policy/engine rw_mount_device: a target that is not /run/gcs/c/<64 hex> is denied', () => {
  const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'rw_mount_device',
    { target: '/run/gcs/c/xyz', encrypted: true, ensureFilesystem: true, filesystem: 'ext4' });
  assert.ok(d.reasons.includes('mountpoint invalid'));
  assert.is(d.allowed, false);
});

test('policy/engine unmount: RO and RW unmounts cannot be confused, and a mounted device unmounts '
    + 'once', () => {
  const ds = run(policy, [
    ['mount_device', { target: M0, deviceHash: hash(1) }],
    ['rw_mount_device', { target: RW, encrypted: true, ensureFilesystem: true,
      filesystem: 'ext4' }],
    ['rw_unmount_device', { unmountTarget: M0 }],
    ['unmount_device', { unmountTarget: RW }],
    ['unmount_device', { unmountTarget: M0 }],
    ['unmount_device', { unmountTarget: M0 }],
    ['rw_unmount_device', { unmountTarget: RW }],
  ]);
  assert.equal(ds.map((d) => d.allowed), [true, true, false, false, true, false, true]);
  assert.equal(ds[2]!.reasons,
    ['received read-write unmount request, but device provided is read-only']);
  assert.equal(ds[3]!.reasons,
    ['received read-only unmount request, but device provided is read-write']);
  assert.equal(ds[5]!.reasons, ['no device at path to unmount']);
  assert.equal(ds[6]!.metadata.devices, {});
  assert.equal(ds[6]!.metadata.rw_devices, {});
});

for (const rule of ['mount_blockdev', 'unmount_blockdev']) {
  test(`policy/engine ${rule}: always denied, even under a permissive policy`, () => {
    const open = securityPolicy({ flags: { allow_unencrypted_scratch: true,
      allow_properties_access: true } });
    const d = evaluateEnforcementPoint(open, emptyMetadata(), rule,
      { target: '/dev/sda', unmountTarget: '/dev/sda' });
    assert.is(d.allowed, false);
    assert.equal(d.reasons, ['blockdev mounts are not supported']);
  });
}

test('policy/engine metadata keys: a __proto__ target is an ordinary key, not a prototype change',
    () => {
  const legacy = securityPolicy();
  const d = evaluateEnforcementPoint(legacy, emptyMetadata(), 'mount_device',
    { target: '__proto__', deviceHash: hash(1) }, { dialect: 'v0.14.1' });
  assert.ok(d.allowed);
  assert.ok(Object.hasOwn(d.metadata.devices, '__proto__'));
  assert.is(Object.getPrototypeOf(d.metadata.devices), Object.prototype);
  const again = evaluateEnforcementPoint(legacy, d.metadata, 'unmount_device',
    { unmountTarget: 'constructor' });
  assert.equal(again.reasons, ['no device at path to unmount']);
});

test('policy/engine mount_device: hostile input shapes are POLICY_BAD_INPUT, never a crash', () => {
  for (const input of [null, 7, 'x', [], { target: 1, deviceHash: hash(1) }, { target: M0 },
      { target: M0, deviceHash: hash(1), mountPathRegex: 3 }]) {
    assert.is(errorCode(() => evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device',
      input)), 'POLICY_BAD_INPUT');
  }
});

test('policy/engine mount_device: a mountPathRegex RE2 rejects fails the target check (OPA: '
    + 'undefined), it is no error', () => {
  const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device',
    { target: M0, deviceHash: hash(1), mountPathRegex: '(a' });
  assert.is(d.allowed, false);
  assert.equal(d.framework_reasons, ['mountpoint invalid']);
});

test.run();
