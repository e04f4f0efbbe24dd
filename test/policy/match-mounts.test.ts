/**
 * Goal: framework.rego's mount matching is modelled exactly: mount_source_ok with the sandbox://,
 * hugepages:// and plan9:// prefixes, mountConstraint_ok (type, destination, options as a set,
 * source), the default and privileged mount lists, HEAD's sandbox sysfs exception and
 * mountList_ok with HEAD's is_linux conjunct.
 * Method: each verdict is worked out by hand from the Rego rules and the data document of the
 * dialect (DefaultCRIMounts / DefaultCRIPrivilegedMounts as listed in policy-decisions.SOURCES.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DIALECTS } from '../../models/policy/dialect.js';
import {
  HUGEPAGES_PREFIX, PLAN9_PREFIX, SANDBOX_PREFIX, mountConstraintOk, mountListOk, mountOk,
  mountSourceOk, type MountContext,
} from '../../models/policy/match/mounts.js';
import type { RequestedMount } from '../../models/policy/input-shapes.js';
import { container } from './engine-support.js';

const SUITE = 'policy/match-mounts';
const SANDBOX_DIR = '/run/gcs/c/sb/sandboxMounts';
const HUGE_DIR = '/run/gcs/c/sb/hugepages';

function context(overrides: Partial<MountContext> = {}): MountContext {
  return { containerID: 'c1', sandboxDir: SANDBOX_DIR, hugePagesDir: HUGE_DIR,
    isSandboxContainer: false, p9mounts: {}, dialect: DIALECTS.head, ...overrides };
}

const bind = (source: string, destination = '/data',
    options: readonly string[] = ['rbind', 'rw']): RequestedMount =>
  ({ type: 'bind', source, destination, options });

test(`${SUITE}: the prefixes are the framework's data values`, () => {
  assert.is(SANDBOX_PREFIX, 'sandbox://');
  assert.is(HUGEPAGES_PREFIX, 'hugepages://');
  assert.is(PLAN9_PREFIX, 'plan9://');
});

test(`${SUITE}: sandbox:// and hugepages:// sources become patterns under their directories`,
    () => {
  const ctx = context();
  assert.ok(mountSourceOk('sandbox:///tmp/.+', `${SANDBOX_DIR}/tmp/x`, ctx));
  assert.not.ok(mountSourceOk('sandbox:///tmp/.+', `${SANDBOX_DIR}/other/x`, ctx));
  assert.not.ok(mountSourceOk('sandbox:///tmp/.+', `/elsewhere${SANDBOX_DIR}/tmp/x`, ctx),
    'anchored at HEAD');
  assert.ok(mountSourceOk('hugepages://.+', `${HUGE_DIR}/2M`, ctx));
  assert.not.ok(mountSourceOk('hugepages://.+', `${SANDBOX_DIR}/2M`, ctx));
  assert.not.ok(mountSourceOk('sandbox://.+', `${HUGE_DIR}/2M`, ctx), 'prefixes do not mix');
  // v0.14.1 did not anchor mount sources: a substring match suffices.
  const old = context({ dialect: DIALECTS['v0.14.1'] });
  assert.ok(mountSourceOk('sandbox:///tmp/.+', `/elsewhere${SANDBOX_DIR}/tmp/x`, old));
});

test(`${SUITE}: without the sandbox or hugepages directory the prefixed source matches nothing`,
    () => {
  const ctx = context({ sandboxDir: undefined, hugePagesDir: undefined });
  assert.not.ok(mountSourceOk('sandbox://.*', 'undefined/x', ctx));
  assert.not.ok(mountSourceOk('hugepages://.*', 'undefined/x', ctx));
  // Joining by an undefined directory would join by ",": that must not happen either.
  assert.not.ok(mountSourceOk('sandbox://.*', ',x', ctx));
  assert.not.ok(mountSourceOk('hugepages://.*', ',x', ctx));
});

test(`${SUITE}: every occurrence of the prefix is replaced by the directory`, () => {
  const ctx = context();
  assert.ok(mountSourceOk('sandbox://asandbox://', `${SANDBOX_DIR}a${SANDBOX_DIR}`, ctx));
});

test(`${SUITE}: a plan9:// source needs the target recorded for this very container`, () => {
  const target = '/run/gcs/c/c1/mounts/m0';
  assert.ok(mountSourceOk('plan9://', target, context({ p9mounts: { [target]: 'c1' } })));
  assert.not.ok(mountSourceOk('plan9://', target, context({ p9mounts: { [target]: 'c2' } })));
  assert.not.ok(mountSourceOk('plan9://', target, context()));
  assert.not.ok(mountSourceOk('/elsewhere', target, context({ p9mounts: { [target]: 'c1' } })));
  // Only own keys count: an inherited property is no recorded mount.
  assert.not.ok(mountSourceOk('plan9://', 'toString', context({ containerID:
    String(Object.prototype.toString) })));
});

test(`${SUITE}: any other source must equal the constraint exactly`, () => {
  const ctx = context();
  assert.ok(mountSourceOk('/host/path', '/host/path', ctx));
  assert.not.ok(mountSourceOk('/host/.*', '/host/path', ctx), 'no pattern without a prefix');
});

test(`${SUITE}: mountConstraint_ok compares type, destination, options as a set, and source`,
    () => {
  const rule = { type: 'bind', source: '/s', destination: '/d', options: ['rbind', 'ro'] };
  const ctx = context();
  const ok = { type: 'bind', source: '/s', destination: '/d', options: ['ro', 'rbind'] };
  assert.ok(mountConstraintOk(rule, ok, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, type: 'tmpfs' }, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, destination: '/e' }, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, source: '/t' }, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, options: ['rbind'] }, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, options: ['rbind', 'ro', 'nosuid'] }, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, options: ['rbind', 'rw'] }, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, options: ['rbind', 'rbind'] }, ctx));
  assert.not.ok(mountConstraintOk({ ...rule, options: ['rbind', 'rbind'] }, ok, ctx));
  assert.not.ok(mountConstraintOk(rule, { ...ok, options: ['rbind', 'ro', 'ro'] }, ctx),
    'the same set with a repeat is not the same options');
  assert.not.ok(mountConstraintOk({ ...rule, options: ['rbind', 'ro', 'rbind'] }, ok, ctx));
  const empty = { ...rule, destination: '' };
  assert.not.ok(mountConstraintOk(empty, { ...ok, destination: '' }, ctx),
    'an empty destination never matches');
});

test(`${SUITE}: a container's own mounts, then the defaults, allow a mount`, () => {
  const ctx = context();
  const c = container({ mounts: [{ type: 'bind', source: 'sandbox:///tmp/atlas/.+',
    destination: '/mount/atlas', options: ['rbind', 'rshared', 'rw'] }] });
  assert.ok(mountOk(c, { type: 'bind', source: `${SANDBOX_DIR}/tmp/atlas/x`,
    destination: '/mount/atlas', options: ['rbind', 'rshared', 'rw'] }, ctx));
  assert.ok(mountOk(c, { type: 'proc', source: 'proc', destination: '/proc',
    options: ['nosuid', 'noexec', 'nodev'] }, ctx), 'a default mount');
  assert.not.ok(mountOk(c, bind('/host'), ctx));
});

const SYS_RW: RequestedMount = { type: 'sysfs', source: 'sysfs', destination: '/sys',
  options: ['nosuid', 'noexec', 'nodev', 'rw'] };
const CGROUP2_RW: RequestedMount = { type: 'cgroup2', source: 'cgroup2',
  destination: '/sys/fs/cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'rw'] };

test(`${SUITE}: privileged mounts need allow_elevated`, () => {
  const ctx = context();
  assert.ok(mountOk(container({ allow_elevated: true }), SYS_RW, ctx));
  assert.not.ok(mountOk(container({ allow_elevated: false }), SYS_RW, ctx));
  assert.ok(mountOk(container({ allow_elevated: true }), CGROUP2_RW, ctx));
  assert.not.ok(mountOk(container({ allow_elevated: true }), CGROUP2_RW,
    context({ dialect: DIALECTS['v0.14.1'] })), 'v0.14.1 has no cgroup2 form');
});

test(`${SUITE}: at HEAD the pause container may mount /sys rw without allow_elevated`, () => {
  const plain = container({ allow_elevated: false });
  assert.ok(mountOk(plain, SYS_RW, context({ isSandboxContainer: true })));
  assert.ok(mountOk(plain, { ...SYS_RW, options: ['rw', 'nodev', 'noexec', 'nosuid'] },
    context({ isSandboxContainer: true })), 'options in any order');
  assert.not.ok(mountOk(plain, SYS_RW, context({ isSandboxContainer: false })));
  assert.not.ok(mountOk(plain, SYS_RW, context({ isSandboxContainer: true,
    dialect: DIALECTS['v0.14.1'] })));
  for (const bad of [{ ...SYS_RW, type: 'bind' }, { ...SYS_RW, source: '/sys' },
    { ...SYS_RW, destination: '/sys/x' }, { ...SYS_RW, options: ['nosuid', 'noexec', 'rw'] },
    { ...SYS_RW, options: ['nosuid', 'noexec', 'nodev', 'rw', 'relatime'] },
    { ...SYS_RW, options: ['nosuid', 'noexec', 'nodev', 'rbind'] }]) {
    assert.not.ok(mountOk(plain, bad, context({ isSandboxContainer: true })), JSON.stringify(bad));
  }
});

test(`${SUITE}: mountList_ok needs every mount allowed, and linux at HEAD`, () => {
  const c = container({ mounts: [{ type: 'bind', source: '/a', destination: '/a',
    options: ['rbind', 'rw'] }] });
  const ctx = context();
  assert.ok(mountListOk(c, [], ctx, true));
  assert.not.ok(mountListOk(c, [], ctx, false));
  assert.ok(mountListOk(c, [bind('/a', '/a')], ctx, true));
  assert.not.ok(mountListOk(c, [bind('/a', '/a'), bind('/b', '/b')], ctx, true));
  assert.not.ok(mountListOk(c, [bind('/b', '/b'), bind('/a', '/a')], ctx, true));
});

test.run();
