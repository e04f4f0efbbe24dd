/**
 * Goal: the decision the engine hands to the GCS carries exactly the outputs the enforcer reads
 * for that point (no key set to undefined), its source, and the reasons the Go side would state:
 * a denial's reasons are the framework's errors when there are any, and parma-sim's one-line
 * explanation only when the reason query has nothing to say. Also the enforcer's Go-side errors
 * for an api_version that is not a version, constant bindings of the use_framework points, the
 * framework_version_error of a policy without framework_version, is_linux on a non-Linux
 * operatingsystem, and api.rego's default_results table. Written after mutation testing showed
 * these paths of engine.ts, enforcement-points.ts and rule-context.ts untested.
 * Method: hand-built policies and GCS-shaped inputs (test/policy/engine-support.ts). Expected keys
 * and strings come from spec (c) ("Mechanics shared by all rules", "Versioning") and
 * policy-decisions.SOURCES.md ("Go-side decision procedure"), or are written out by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint, type Decision } from '../../models/policy/engine.js';
import { emptyMetadata, initialMetadata } from '../../models/policy/metadata.js';
import { ENFORCEMENT_POINTS } from '../../models/policy/enforcement-points.js';
import type { RuleBinding } from '../../models/policy/policy-model.js';
import {
  ID, container, createInput, env, execInput, hash, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine-decision-outputs';
const BASE_KEYS = ['allowed', 'delta', 'framework_reasons', 'metadata', 'reasons', 'rule',
  'source'];
const keysOf = (d: Decision): string[] => Object.keys(d).sort();
const withKeys = (...extra: string[]): string[] => [...BASE_KEYS, ...extra].sort();

const c = container({ exec_processes: [{ command: ['sh'], signals: [9] }], signals: [] });
const policy = securityPolicy({ containers: [c],
  external_processes: [{ command: ['bash'], env_rules: [env('PATH=/usr/bin')], working_dir: '/',
    allow_stdio_access: false }] });
const deploy = run(policy, [...mountCalls(c.layers, ID(1)),
  ['create_container', createInput(c, ID(1))]]);
const started = last(deploy).metadata;

test(`${SUITE}: an allowed mount_device carries no outputs at all, only the decision's own keys`,
  () => {
    const d = deploy[0]!;
    assert.ok(d.allowed);
    assert.equal(keysOf(d), BASE_KEYS);
  });

test(`${SUITE}: an allowed create_container carries env_list, caps_list and allow_stdio_access, `
  + 'and no add_module', () => {
  const d = last(deploy);
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.equal(keysOf(d), withKeys('allow_stdio_access', 'caps_list', 'env_list'));
  assert.is(d.allow_stdio_access, true);
});

test(`${SUITE}: an allowed exec_in_container carries env_list and caps_list; stdio is the one `
  + 'recorded at create, so no allow_stdio_access', () => {
  const d = evaluateEnforcementPoint(policy, started, 'exec_in_container',
    execInput(c, ID(1), ['sh']));
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.equal(keysOf(d), withKeys('caps_list', 'env_list'));
});

test(`${SUITE}: an allowed exec_external carries env_list and its process's allow_stdio_access`,
  () => {
    const d = evaluateEnforcementPoint(policy, started, 'exec_external',
      { argList: ['bash'], envList: ['PATH=/usr/bin'], workingDir: '/' });
    assert.ok(d.allowed, d.reasons.join(' | '));
    assert.equal(keysOf(d), withKeys('allow_stdio_access', 'env_list'));
    assert.equal([d.env_list, d.allow_stdio_access], [['PATH=/usr/bin'], false]);
  });

test(`${SUITE}: the open door (allow_all), a default allow and an unbound use_framework point `
  + 'carry no outputs; a default exec_external carries only api.rego\'s closed stdio', () => {
  const open = evaluateEnforcementPoint(securityPolicy({ allow_all: true }), emptyMetadata(),
    'create_container', createInput(c, ID(5)));
  assert.equal([open.allowed, keysOf(open)], [true, BASE_KEYS]);
  const old = securityPolicy({ api_version: '0.1.0', rules: {} });
  const unmount = evaluateEnforcementPoint(old, emptyMetadata(), 'unmount_device',
    { unmountTarget: '/run/mounts/scsi/m0' });
  assert.equal([unmount.allowed, unmount.source, keysOf(unmount)],
    [true, 'api-default', BASE_KEYS]);
  const rw = evaluateEnforcementPoint(old, emptyMetadata(), 'rw_mount_device',
    { target: `/run/gcs/c/${ID(1)}`, encrypted: true, ensureFilesystem: true, filesystem: 'xfs' });
  assert.equal([rw.allowed, rw.source, keysOf(rw)], [true, 'framework', BASE_KEYS]);
  const external = evaluateEnforcementPoint(old, emptyMetadata(), 'exec_external',
    { argList: ['anything'], envList: [], workingDir: '/' });
  assert.equal([external.allowed, keysOf(external), external.allow_stdio_access],
    [true, withKeys('allow_stdio_access'), false]);
});

test(`${SUITE}: a constant allow of load_fragment carries api.rego's add_module default (false) `
  + 'and no other output', () => {
  const rules: Record<string, RuleBinding> = { load_fragment: { kind: 'constant', allowed: true,
    outputs: {} } };
  const d = evaluateEnforcementPoint(securityPolicy({ rules }), emptyMetadata(), 'load_fragment',
    { issuer: 'did:x509:0:sha256:x::eku:1', feed: 'f', namespace: 'n' });
  assert.equal([d.allowed, d.source, d.add_module], [true, 'constant', false]);
  assert.equal(keysOf(d), withKeys('add_module'));
});

test(`${SUITE}: an api_version that is not a semantic version makes a point a Go-side error that `
  + 'names the point', () => {
  const md = initialMetadata('head');
  for (const api_version of ['latest', '0.10', 'v0.10.0']) {
    const d = evaluateEnforcementPoint(securityPolicy({ api_version }), md, 'mount_device',
      { target: '/run/mounts/scsi/m0', deviceHash: hash(1) });
    assert.not.ok(d.allowed, api_version);
    assert.is(d.source, 'go-error');
    assert.equal(d.framework_reasons, ['enforcement point rule mount_device does not exist']);
    // The policy query ran first and the interpreter applied its operation in place; the Go
    // side then fails (engine.ts header, and the fuzz finding of README "Fuzzing").
    assert.equal(d.delta, []);
    assert.is(d.metadata.devices['/run/mounts/scsi/m0'], hash(1));
  }
});

const RW = { target: `/run/gcs/c/${ID(7)}`, encrypted: true, ensureFilesystem: true,
  filesystem: 'ext4' };

test(`${SUITE}: a constant binding of a use_framework point (rw_mount_device) is the policy's `
  + 'answer: the framework rule is not asked', () => {
  const bind = (allowed: boolean) => securityPolicy({ rules: { ...securityPolicy().rules,
    rw_mount_device: { kind: 'constant', allowed, outputs: {} } } });
  const md = initialMetadata('head');
  // The framework would deny this target (not /run/gcs/c/<64 hex>); the constant allows it.
  const allow = evaluateEnforcementPoint(bind(true), md, 'rw_mount_device',
    { ...RW, target: '/elsewhere' });
  assert.equal([allow.allowed, allow.source, allow.delta], [true, 'constant', []]);
  assert.ok(allow.metadata === md, 'a constant emits no metadata operations');
  // The framework would allow this one; the constant denies it.
  const deny = evaluateEnforcementPoint(bind(false), md, 'rw_mount_device', RW);
  assert.equal([deny.allowed, deny.source], [false, 'constant']);
  assert.equal(deny.framework_reasons, []);
  assert.equal(deny.reasons, ['rw_mount_device is bound to a constant deny in the policy']);
});

test(`${SUITE}: a constant deny whose reason query finds framework errors reports just those `
  + 'errors', () => {
  const rules: Record<string, RuleBinding> = { ...securityPolicy().rules,
    mount_device: { kind: 'constant', allowed: false, outputs: {} } };
  const d = evaluateEnforcementPoint(securityPolicy({ rules }), emptyMetadata(), 'mount_device',
    { target: '/run/mounts/scsi/m0', deviceHash: hash(99) });
  assert.equal([d.allowed, d.source], [false, 'constant']);
  assert.equal(d.framework_reasons, ['deviceHash not found']);
  assert.equal(d.reasons, ['deviceHash not found']);
});

test(`${SUITE}: a default deny whose reason query finds framework errors reports just those `
  + 'errors, without the "introduced in api" explanation', () => {
  const old = securityPolicy({ api_version: '0.1.0', rules: {} });
  const d = evaluateEnforcementPoint(old, emptyMetadata(), 'load_fragment',
    { issuer: 'did:x509:0:sha256:unknown::eku:1', feed: 'f', namespace: 'n' });
  assert.equal([d.allowed, d.source], [false, 'api-default']);
  assert.equal(d.framework_reasons, ['invalid fragment issuer']);
  assert.equal(d.reasons, ['invalid fragment issuer']);
});

test(`${SUITE}: v0.14.1: an init signal only an exec process may receive is denied, and as the `
  + 'framework names no error the decision says so', () => {
  const options = { dialect: 'v0.14.1' } as const;
  const old = securityPolicy({ containers: [c], framework_version: '0.3.0',
    api_version: '0.10.0' });
  const ds = run(old, [...mountCalls(c.layers, ID(2)), ['create_container',
    createInput(c, ID(2), { devices: undefined })]], initialMetadata('v0.14.1'), options);
  assert.ok(last(ds).allowed, last(ds).reasons.join(' | '));
  const d = evaluateEnforcementPoint(old, last(ds).metadata, 'signal_container_process',
    { containerID: ID(2), signal: 9, isInitProcess: true, argList: ['sh'] }, options);
  assert.equal([d.allowed, d.source, d.framework_reasons], [false, 'framework', []]);
  assert.equal(d.reasons,
    ['signal_container_process denied: the framework gives no reason for this request']);
});

test(`${SUITE}: a policy without framework_version: every denial carries the framework's `
  + '"framework_version is missing" error with the current version', () => {
  const d = evaluateEnforcementPoint(securityPolicy({ framework_version: '' }), emptyMetadata(),
    'mount_overlay', { containerID: ID(3), layerPaths: ['/run/mounts/scsi/m9'],
      target: `/run/gcs/c/${ID(3)}/rootfs` });
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, ['framework_version is missing. Current version: 0.5.0',
    'no matching containers for overlay']);
  const old = evaluateEnforcementPoint(securityPolicy({ framework_version: '' }),
    initialMetadata('v0.14.1'), 'unmount_device', { unmountTarget: '/run/mounts/m1' },
    { dialect: 'v0.14.1' });
  assert.equal(old.framework_reasons, ['framework_version is missing. Current version: 0.3.0',
    'no device at path to unmount']);
});

const LINUX_NOTE = 'metadata.operatingsystem names no "linux" entry: is_linux is false, so no '
  + 'Linux rule branch applies (the HEAD GCS records "linux" when it installs the policy)';

test(`${SUITE}: HEAD metadata whose operatingsystem is windows is not Linux: create and exec are `
  + 'denied with the is_linux note', () => {
  const windows = { ...started, operatingsystem: { ostype: 'windows' } };
  const create = evaluateEnforcementPoint(policy, windows, 'create_container',
    createInput(c, ID(1)));
  assert.not.ok(create.allowed);
  assert.ok(create.reasons.includes(LINUX_NOTE), create.reasons.join(' | '));
  const exec = evaluateEnforcementPoint(policy, windows, 'exec_in_container',
    execInput(c, ID(1), ['sh']));
  assert.not.ok(exec.allowed);
  assert.ok(exec.reasons.includes(LINUX_NOTE), exec.reasons.join(' | '));
  const linux = evaluateEnforcementPoint(policy, started, 'exec_in_container',
    execInput(c, ID(1), ['sh']));
  assert.ok(linux.allowed, 'the same request under "linux" is allowed');
});

test(`${SUITE}: api.rego default_results: allow for the permissive points, deny for the others, `
  + 'closed stdio for create_container and exec_external, no add_module for load_fragment',
() => {
  const allowed = ['unmount_device', 'unmount_overlay', 'exec_in_container', 'shutdown_container',
    'signal_container_process', 'plan9_mount', 'plan9_unmount', 'get_properties', 'dump_stacks',
    'runtime_logging', 'scratch_mount', 'scratch_unmount'] as const;
  for (const name of allowed) {
    assert.equal(ENFORCEMENT_POINTS[name].defaultResults, { allowed: true }, name);
  }
  for (const name of ['mount_device', 'mount_overlay', 'mount_blockdev', 'unmount_blockdev',
    'host_network'] as const) {
    assert.equal(ENFORCEMENT_POINTS[name].defaultResults, { allowed: false }, name);
  }
  assert.equal(ENFORCEMENT_POINTS.create_container.defaultResults,
    { allowed: false, allow_stdio_access: false });
  assert.equal(ENFORCEMENT_POINTS.exec_external.defaultResults,
    { allowed: true, allow_stdio_access: false });
  assert.equal(ENFORCEMENT_POINTS.load_fragment.defaultResults,
    { allowed: false, add_module: false });
  assert.equal([ENFORCEMENT_POINTS.rw_mount_device.defaultResults,
    ENFORCEMENT_POINTS.rw_unmount_device.defaultResults], [null, null], 'use_framework');
});

test(`${SUITE}: a policy older than every point that binds none of them cannot create a `
  + 'container: create_container\'s default is deny', () => {
  const ancient = securityPolicy({ api_version: '0.0.1', rules: {} });
  const d = evaluateEnforcementPoint(ancient, emptyMetadata(), 'create_container',
    createInput(c, ID(4)));
  assert.equal([d.allowed, d.source], [false, 'api-default']);
  assert.ok(d.metadata === emptyMetadata());
});

test.run();
