/**
 * Goal: mount_overlay / unmount_overlay, scratch_mount / scratch_unmount and plan9_mount /
 * plan9_unmount follow spec (c): layer order, narrowing start, single overlay per ID, target reuse.
 * Method: threaded call sequences on hand-built policies; reasons are the spec strings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ID, container, hash, last, mountCalls, run, securityPolicy } from './engine-support.js';

const A = container({ name: 'a', layers: [hash(1), hash(2), hash(3)] });
const B = container({ name: 'b', layers: [hash(1), hash(2), hash(3)], command: ['/b'] });
const C = container({ name: 'c', layers: [hash(4)] });
const policy = securityPolicy({ containers: [A, B, C] });

test('policy/engine mount_overlay: top-first layer paths matching base-first layers bind the ID to '
    + 'every such container', () => {
  const ds = run(policy, mountCalls(A.layers, ID(1)));
  const d = last(ds);
  assert.ok(d.allowed);
  assert.equal(d.metadata.matches[ID(1)]!.map((c) => c.name), ['a', 'b']);
  assert.equal(d.metadata.overlayTargets, { [`/run/gcs/c/${ID(1)}/rootfs`]: true });
});

test('policy/engine mount_overlay: layer paths in base-first order match nothing', () => {
  const calls = mountCalls(A.layers, ID(1));
  const overlay = calls.pop()![1] as { layerPaths: string[] };
  const d = last(run(policy, [...calls, ['mount_overlay',
    { ...overlay, layerPaths: [...overlay.layerPaths].reverse() }]]));
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes('no matching containers for overlay'));
});

test('policy/engine mount_overlay: a missing layer (shorter list) matches nothing', () => {
  const calls = mountCalls(A.layers.slice(1), ID(1));
  const d = last(run(policy, calls));
  assert.is(d.allowed, false);
  assert.equal(d.metadata.matches, {});
});

test('policy/engine mount_overlay: a second overlay for the same container ID is denied (ID reuse)',
    () => {
  const ds = run(policy, [...mountCalls(A.layers, ID(1)), ...mountCalls(C.layers, ID(1), 10)]);
  const d = last(ds);
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes('overlay has already been mounted'));
  assert.equal(d.metadata.matches[ID(1)]!.length, 2);
});

test('policy/engine unmount_overlay: removes the target but keeps matches, so the ID cannot get a '
    + 'new overlay', () => {
  const target = `/run/gcs/c/${ID(1)}/rootfs`;
  const ds = run(policy, [...mountCalls(C.layers, ID(1)),
    ['unmount_overlay', { unmountTarget: target }], ['unmount_overlay', { unmountTarget: target }],
    ...mountCalls(C.layers, ID(1), 5)]);
  assert.ok(ds[2]!.allowed);
  assert.equal(ds[3]!.reasons, ['no overlay at path to unmount']);
  assert.ok(last(ds).reasons.includes('overlay has already been mounted'));
  assert.equal(last(ds).metadata.overlayTargets, {});
  assert.ok(Object.hasOwn(last(ds).metadata.matches, ID(1)));
});

test('policy/engine mount_overlay: an overlay target already in use is denied', () => {
  const first = mountCalls(C.layers, ID(1));
  const second = ['mount_overlay', { containerID: ID(2), layerPaths: ['/run/mounts/scsi/m0'],
    target: `/run/gcs/c/${ID(1)}/rootfs` }] as const;
  const d = last(run(policy, [...first, second]));
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes('overlay target already mounted'));
});

test('policy/engine scratch_mount: encrypted allowed once; unencrypted denied unless the flag '
    + 'allows it', () => {
  const ds = run(policy, [
    ['scratch_mount', { target: '/s1', encrypted: true }],
      ['scratch_mount', { target: '/s1', encrypted: true }],
    ['scratch_mount', { target: '/s2', encrypted: false }],
      ['scratch_unmount', { unmountTarget: '/s1' }],
    ['scratch_unmount', { unmountTarget: '/s1' }],
  ]);
  assert.equal(ds.map((d) => d.allowed), [true, false, false, true, false]);
  assert.equal(ds[1]!.reasons, ['scratch already mounted at path']);
  assert.equal(ds[2]!.reasons, ['unencrypted scratch not allowed']);
  assert.equal(ds[4]!.reasons, ['no scratch at path to unmount']);
  const open = run(securityPolicy({ flags: { allow_unencrypted_scratch: true } }),
    [['scratch_mount', { target: '/s2', encrypted: false }]]);
  assert.equal(open[0]!.metadata.scratch_mounts, { '/s2': { encrypted: false } });
});

test('policy/engine plan9_mount: a target under a container with an overlay is allowed once and '
    + 'records its owner', () => {
  const target = `/run/gcs/c/${ID(1)}/mounts/m3`;
  const ds = run(policy, [...mountCalls(C.layers, ID(1)), ['plan9_mount', { target }],
    ['plan9_mount', { target }], ['plan9_unmount', { unmountTarget: target }],
    ['plan9_unmount', { unmountTarget: target }]]);
  assert.equal(ds.slice(2).map((d) => d.allowed), [true, false, true, false]);
  assert.equal(ds[2]!.metadata.p9mounts, { [target]: ID(1) });
  assert.equal(ds[3]!.reasons, ['device already mounted at path']);
  assert.equal(ds[5]!.reasons, ['no device at path to unmount']);
});

const badPlan9: readonly (readonly [string, string])[] = [
  ['a container ID without an overlay', `/run/gcs/c/${ID(2)}/mounts/m1`],
  ['a traversal suffix (anchored)', `/run/gcs/c/${ID(1)}/mounts/m1/../../x`],
  ['a prefix before the root (anchored)', `/evil/run/gcs/c/${ID(1)}/mounts/m1`],
];
for (const [condition, target] of badPlan9) {
  test(`policy/engine plan9_mount: ${condition} is denied`, () => {
    const d = last(run(policy, [...mountCalls(C.layers, ID(1)), ['plan9_mount', { target }]]));
    assert.is(d.allowed, false);
    assert.equal(d.metadata.p9mounts, {});
  });
}

test.run();
