/**
 * Goal: the two framework dialects (models/policy/dialect.ts) carry the versions and the data
 * document of the hcsshim commits they name: framework/API versions, the enforcement points API
 * 0.10.0 lacks, and DefaultCRIMounts / DefaultCRIPrivilegedMounts.
 * Method: expected values written by hand from policy-decisions.SOURCES.md (versions, "Data
 * document"), spec policy.md (b) (defaultMounts, privilegedMounts) and containerd's Linux spec
 * defaults that DefaultCRIMounts copies (the option lists).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DIALECTS, POLICY_DIALECTS } from '../../models/policy/dialect.js';

const CGROUP = ['nosuid', 'noexec', 'nodev', 'relatime'];

const CONTAINERD_DEFAULTS = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue',
    options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/run', type: 'tmpfs', source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...CGROUP, 'ro'] },
];

const PRIVILEGED = [
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev',
    'rw'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...CGROUP, 'rw'] },
];

test('policy/dialect: the dialects are head and v0.14.1, each row naming itself', () => {
  assert.equal(POLICY_DIALECTS, ['head', 'v0.14.1']);
  assert.equal(Object.keys(DIALECTS), ['head', 'v0.14.1']);
  assert.is(DIALECTS.head.name, 'head');
  assert.is(DIALECTS['v0.14.1'].name, 'v0.14.1');
});

test('policy/dialect: framework and API versions are those of the named commits', () => {
  assert.equal([DIALECTS.head.frameworkVersion, DIALECTS.head.apiVersion], ['0.5.0', '0.12.0']);
  assert.equal([DIALECTS['v0.14.1'].frameworkVersion, DIALECTS['v0.14.1'].apiVersion],
    ['0.3.0', '0.10.0']);
});

test('policy/dialect: API 0.10.0 lacks the rw device, block device and host network points', () => {
  assert.equal(DIALECTS.head.pointsAbsent, []);
  assert.equal(DIALECTS['v0.14.1'].pointsAbsent, ['rw_mount_device', 'rw_unmount_device',
    'mount_blockdev', 'unmount_blockdev', 'host_network']);
});

test('policy/dialect: v0.14.1 has containerd\'s default mounts with the cgroup v1 form only', () => {
  assert.equal(DIALECTS['v0.14.1'].defaultMounts, CONTAINERD_DEFAULTS);
  assert.equal(DIALECTS['v0.14.1'].privilegedMounts, PRIVILEGED);
});

test('policy/dialect: HEAD adds the cgroup2 form, read-only by default and rw when privileged',
    () => {
  assert.equal(DIALECTS.head.defaultMounts, [...CONTAINERD_DEFAULTS, { destination:
    '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup2', options: [...CGROUP, 'ro'] }]);
  assert.equal(DIALECTS.head.privilegedMounts, [...PRIVILEGED, { destination: '/sys/fs/cgroup',
    type: 'cgroup2', source: 'cgroup2', options: [...CGROUP, 'rw'] }]);
});

test('policy/dialect: the tables are frozen', () => {
  assert.ok(Object.isFrozen(DIALECTS) && Object.isFrozen(DIALECTS.head));
  assert.ok(DIALECTS.head.defaultMounts.every((m) => Object.isFrozen(m)
    && Object.isFrozen(m.options)));
  assert.ok(Object.isFrozen(DIALECTS['v0.14.1'].pointsAbsent));
});

test.run();
