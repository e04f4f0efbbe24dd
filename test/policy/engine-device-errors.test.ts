/**
 * Goal: the device rules' framework errors that the recorded vectors do not reach: a scratch in
 * a filesystem the framework does not allow, and an unmount of the other kind of device (a
 * read-write one through unmount_device, a read-only one through rw_unmount_device). Written
 * after mutation testing showed these untested (reports/mutation).
 * Method: threaded calls on a hand-built policy (test/policy/engine-support.ts); the expected
 * reasons are framework.rego's strings (spec (c)).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { initialMetadata } from '../../models/policy/metadata.js';
import { ID, hash, run, securityPolicy } from './engine-support.js';

const SUITE = 'policy/engine devices';
const policy = securityPolicy();
const RW = `/run/gcs/c/${ID(1)}`;
const RO = '/run/mounts/scsi/m0';
const [ro, rw] = run(policy, [['mount_device', { target: RO, deviceHash: hash(1) }],
  ['rw_mount_device', { target: RW, encrypted: true, ensureFilesystem: true,
    filesystem: 'ext4' }]], initialMetadata('head'));
const mounted = rw!.metadata;

test(`${SUITE}: both devices mount (the premise)`, () => {
  assert.ok(ro!.allowed && rw!.allowed, [...ro!.reasons, ...rw!.reasons].join(' | '));
});

test(`${SUITE}: rw_mount_device in a filesystem the framework does not allow is denied`, () => {
  const d = evaluateEnforcementPoint(policy, initialMetadata('head'), 'rw_mount_device',
    { target: RW, encrypted: true, ensureFilesystem: true, filesystem: 'ntfs' });
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons,
    ['rw device mounts uses a filesystem that is not allowed']);
});

test(`${SUITE}: unmount_device of a read-write device says it is read-write`, () => {
  const d = evaluateEnforcementPoint(policy, mounted, 'unmount_device', { unmountTarget: RW });
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons,
    ['received read-only unmount request, but device provided is read-write']);
});

test(`${SUITE}: rw_unmount_device of a read-only device says it is read-only`, () => {
  const d = evaluateEnforcementPoint(policy, mounted, 'rw_unmount_device', { unmountTarget: RO });
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons,
    ['received read-write unmount request, but device provided is read-only']);
});

test(`${SUITE}: an unmount of nothing says there is no device`, () => {
  for (const rule of ['unmount_device', 'rw_unmount_device']) {
    const d = evaluateEnforcementPoint(policy, mounted, rule, { unmountTarget: '/nothing' });
    assert.equal([d.allowed, d.framework_reasons], [false, ['no device at path to unmount']]);
  }
});

test.run();
