/**
 * Goal: the reason query (framework.rego `errors`) reports exactly what the framework would, also
 * for requests the rule itself allows: a policy may bind a point to a constant deny, and the GCS
 * then still asks `data.policy.reason`, whose errors for an acceptable request are empty. And the
 * error helpers of create_container, exec_in_container and exec_external name only the errors
 * whose conditions hold (started IDs, the env stage before the caps stage, seccomp first, the
 * external processes that fit argv and working dir), with parma-sim's notes saying which stage
 * emptied the candidates. Written after mutation testing showed these helpers' branches untested.
 * Method: a HEAD deployment threaded through the engine, then each request evaluated under the
 * same policy with that one point bound to `{"allowed": false}`; expected errors are derived by
 * hand from spec (c)'s rule descriptions and error lists.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { type PolicyMetadata } from '../../models/policy/metadata.js';
import type {
  PolicyContainer, RuleBinding, SecurityPolicy,
} from '../../models/policy/policy-model.js';
import {
  ID, UNPRIVILEGED_14, caps, container, createInput, env, execInput, hash, last, mountCalls, run,
  securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine-reason-query';
const ISSUER = 'did:x509:0:sha256:abc::eku:1.3.6.1.4.1.311.76.59.1.3';
const FEED = 'contoso.azurecr.io/infra';
const ENV_EMPTY = 'no remaining candidate accepts the environment variables';

const c = container({ exec_processes: [{ command: ['sh'], signals: [9] }] });
const ext = { command: ['bash'], env_rules: [env('PATH=/usr/bin')], working_dir: '/',
  allow_stdio_access: false };
const policy = securityPolicy({ containers: [c], external_processes: [ext],
  fragments: [{ issuer: ISSUER, feed: FEED, minimum_svn: '1', includes: ['containers'] }] });
const RW = `/run/gcs/c/${ID(1)}`;
const SCRATCH = `/run/gcs/c/${ID(1)}/scratch/${ID(1)}`;
const P9 = `/run/gcs/c/${ID(1)}/mounts/m0`;
const deployed: PolicyMetadata = last(run(policy, [
  ['rw_mount_device', { target: RW, encrypted: true, ensureFilesystem: true, filesystem: 'ext4' }],
  ['scratch_mount', { target: SCRATCH, encrypted: true }],
  ...mountCalls(c.layers, ID(1)),
  ['create_container', createInput(c, ID(1))],
  ['plan9_mount', { target: P9 }],
])).metadata;

const denying = (rule: string, base: SecurityPolicy = policy): SecurityPolicy => {
  const rules: Record<string, RuleBinding> = { ...base.rules,
    [rule]: { kind: 'constant', allowed: false, outputs: {} } };
  return { ...base, rules };
};

/** Requests the framework rule allows in `deployed`. */
const ACCEPTABLE: readonly (readonly [string, Record<string, unknown>])[] = [
  ['unmount_device', { unmountTarget: '/run/mounts/scsi/m0' }],
  ['rw_unmount_device', { unmountTarget: RW }],
  ['unmount_overlay', { unmountTarget: `/run/gcs/c/${ID(1)}/rootfs` }],
  ['scratch_unmount', { unmountTarget: SCRATCH }],
  ['plan9_unmount', { unmountTarget: P9 }],
  ['shutdown_container', { containerID: ID(1) }],
  ['load_fragment', { issuer: ISSUER, feed: FEED, namespace: 'infra' }],
  ['exec_external', { argList: ['bash'], envList: ['PATH=/usr/bin'], workingDir: '/' }],
  ['mount_device', { target: '/run/mounts/scsi/m5', deviceHash: hash(1) }],
];

for (const [rule, input] of ACCEPTABLE) {
  test(`${SUITE}: ${rule} bound to a constant deny: an acceptable request gets no framework `
    + 'error, only the constant\'s explanation', () => {
    const framework = evaluateEnforcementPoint(policy, deployed, rule, input);
    assert.ok(framework.allowed, `the framework allows it: ${framework.reasons.join(' | ')}`);
    const d = evaluateEnforcementPoint(denying(rule), deployed, rule, input);
    assert.equal([d.allowed, d.source, d.framework_reasons], [false, 'constant', []]);
    assert.equal(d.reasons, [`${rule} is bound to a constant deny in the policy`]);
  });
}

test(`${SUITE}: exec_in_container bound to a constant deny: an acceptable exec gets only the `
  + 'per-process helpers\' errors, no capability error', () => {
  const input = execInput(c, ID(1), ['sh']);
  assert.ok(evaluateEnforcementPoint(policy, deployed, 'exec_in_container', input).allowed);
  const d = evaluateEnforcementPoint(denying('exec_in_container'), deployed, 'exec_in_container',
    input);
  assert.equal(d.framework_reasons, ['invalid noNewPrivileges', 'invalid user']);
});

test(`${SUITE}: exec_in_container with the capabilities of one of two candidates: no `
  + 'capability error (some candidate takes them)', () => {
  // A metadata the engine accepts as input (a started ID whose candidates differ in their
  // capability sets); the helper asks whether some candidate takes the requested sets.
  const narrow = container({ exec_processes: c.exec_processes, capabilities: caps(['CAP_CHOWN']) });
  const md: PolicyMetadata = { ...deployed,
    matches: { ...deployed.matches, [ID(1)]: [c, narrow] } };
  const input = execInput(c, ID(1), ['sh']);
  const d = evaluateEnforcementPoint(denying('exec_in_container'), md, 'exec_in_container', input);
  assert.equal(d.framework_reasons, ['invalid noNewPrivileges', 'invalid user']);
  const neither = evaluateEnforcementPoint(policy, md, 'exec_in_container',
    { ...input, capabilities: caps(['CAP_KILL']) });
  assert.ok(neither.framework_reasons!.includes("capabilities don't match"));
});

test(`${SUITE}: exec_in_container whose env fails: the env error, no capability error, and the `
  + 'env note among the reasons', () => {
  const d = evaluateEnforcementPoint(policy, deployed, 'exec_in_container',
    execInput(c, ID(1), ['sh'], { envList: ['X=1'], capabilities: caps(['CAP_CHOWN']) }));
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, ['invalid env list: X', 'invalid noNewPrivileges',
    'invalid user']);
  assert.ok(d.reasons.includes(ENV_EMPTY), d.reasons.join(' | '));
  assert.not.ok(d.reasons.some((r) => r.startsWith('no candidate containers')), 'not shut down');
  assert.not.ok(d.reasons.some((r) => r.startsWith('input lacks')), 'the input is complete');
});

test(`${SUITE}: exec_in_container with a null capabilities object (no dropping): "capabilities `
  + 'don\'t match"', () => {
  const d = evaluateEnforcementPoint(policy, deployed, 'exec_in_container',
    execInput(c, ID(1), ['sh'], { capabilities: null }));
  assert.not.ok(d.allowed);
  assert.ok(d.framework_reasons!.includes("capabilities don't match"), d.reasons.join(' | '));
});

test(`${SUITE}: exec_in_container without a capabilities field: no capability error (the helper `
  + 'reads a field that is not there), and a note naming the missing field', () => {
  const { capabilities: _, ...partial } = execInput(c, ID(1), ['sh']);
  const d = evaluateEnforcementPoint(policy, deployed, 'exec_in_container', partial);
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, ['invalid noNewPrivileges', 'invalid user']);
  assert.ok(d.reasons.includes('input lacks capabilities'), d.reasons.join(' | '));
  const { umask: __, ...lacking } = partial;
  const two = evaluateEnforcementPoint(policy, deployed, 'exec_in_container', lacking);
  assert.ok(two.reasons.includes('input lacks umask, capabilities'), two.reasons.join(' | '));
});

test(`${SUITE}: exec_external: two env names no process allows are listed with a comma; the env `
  + 'note is among the reasons; no stdio error when the env stage fails', () => {
  const d = evaluateEnforcementPoint(policy, deployed, 'exec_external',
    { argList: ['bash'], envList: ['A=1', 'B=2'], workingDir: '/' });
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, ['invalid env list: A,B']);
  assert.ok(d.reasons.includes(ENV_EMPTY), d.reasons.join(' | '));
});

test(`${SUITE}: exec_external: a required variable of another process (other argv or working `
  + 'dir) is not "missing"', () => {
  const other = { command: ['other'], env_rules: [env('SECRET=1', 'string', true)],
    working_dir: '/', allow_stdio_access: false };
  const elsewhere = { ...other, command: ['bash'], working_dir: '/srv' };
  const p = denying('exec_external', securityPolicy({ external_processes: [ext, other,
    elsewhere] }));
  const d = evaluateEnforcementPoint(p, deployed, 'exec_external',
    { argList: ['bash'], envList: ['PATH=/usr/bin'], workingDir: '/' });
  assert.equal(d.framework_reasons, []);
  const lacking = evaluateEnforcementPoint(p, deployed, 'exec_external',
    { argList: ['other'], envList: [], workingDir: '/' });
  assert.equal(lacking.framework_reasons, ['missing required environment variable']);
});

test(`${SUITE}: exec_external: two processes that differ only in allow_stdio_access are `
  + 'undecidable; with the env failing they are not reported so', () => {
  const open = { ...ext, allow_stdio_access: true };
  const p = securityPolicy({ external_processes: [ext, open] });
  const tie = evaluateEnforcementPoint(p, deployed, 'exec_external',
    { argList: ['bash'], envList: ['PATH=/usr/bin'], workingDir: '/' });
  assert.equal([tie.allowed, tie.framework_reasons],
    [false, ['external processes only distinguishable by allow_stdio_access']]);
  const env = evaluateEnforcementPoint(p, deployed, 'exec_external',
    { argList: ['bash'], envList: ['X=1'], workingDir: '/' });
  assert.equal(env.framework_reasons, ['invalid env list: X']);
});

// create_container
const required = container({ env_rules: [env('PATH=/usr/bin', 'string', true), env('TERM=xterm')],
  capabilities: caps(UNPRIVILEGED_14) });
const reqPolicy = securityPolicy({ containers: [required] });
const reqStarted = last(run(reqPolicy, [...mountCalls(required.layers, ID(3)),
  ['create_container', createInput(required, ID(3))]])).metadata;

test(`${SUITE}: create_container of an ID already started reports "container already started" `
  + 'without the env and capability errors that apply to new containers', () => {
  const md = last(run(reqPolicy, mountCalls(required.layers, ID(4), 5), reqStarted)).metadata;
  const cases = [
    [{ envList: ['TERM=xterm'] }, 'missing required environment variable'],
    [{ capabilities: caps(['CAP_CHOWN']) }, "capabilities don't match"],
  ] as const;
  for (const [overrides, error] of cases) {
    const again = evaluateEnforcementPoint(reqPolicy, reqStarted, 'create_container',
      createInput(required, ID(3), overrides));
    assert.not.ok(again.allowed);
    assert.is(again.framework_reasons![0], 'container already started');
    assert.not.ok(again.framework_reasons!.includes(error), again.reasons.join(' | '));
    // The same request for a fresh ID over the same layers gets it.
    const fresh = evaluateEnforcementPoint(reqPolicy, md, 'create_container',
      createInput(required, ID(4), overrides));
    assert.ok(fresh.framework_reasons!.includes(error), fresh.reasons.join(' | '));
  }
});

const twoEnv = (a: PolicyContainer, b: PolicyContainer, id: string) => {
  const p = securityPolicy({ containers: [a, b] });
  const md = last(run(p, mountCalls(a.layers, id))).metadata;
  return { p, md };
};

test(`${SUITE}: create_container: one of two candidates accepts the env list as sent, so no `
  + 'plain "invalid env list" error', () => {
  const strict = container({ env_rules: [env('PATH=/usr/bin')] });
  const { p, md } = twoEnv(c, strict, ID(5));
  const input = createInput(c, ID(5));
  assert.ok(evaluateEnforcementPoint(p, md, 'create_container', input).allowed);
  const d = evaluateEnforcementPoint(denying('create_container', p), md, 'create_container', input);
  assert.equal(d.framework_reasons, []);
});

test(`${SUITE}: create_container unprivileged on an elevated container without capability sets: `
  + 'the unprivileged defaults are the ones compared', () => {
  const elevated = container({ allow_elevated: true, capabilities: null });
  const p = securityPolicy({ containers: [elevated] });
  const md = last(run(p, mountCalls(elevated.layers, ID(6)))).metadata;
  const input = createInput(elevated, ID(6), { capabilities: caps(UNPRIVILEGED_14) });
  assert.ok(evaluateEnforcementPoint(p, md, 'create_container', input).allowed);
  const d = evaluateEnforcementPoint(denying('create_container', p), md, 'create_container', input);
  assert.equal(d.framework_reasons, []);
});

test(`${SUITE}: create_container with another seccomp profile and other capabilities reports the `
  + 'seccomp error only: the capability stage runs on the candidates seccomp left', () => {
  const md = last(run(policy, mountCalls(c.layers, ID(7)))).metadata;
  const d = evaluateEnforcementPoint(policy, md, 'create_container', createInput(c, ID(7),
    { seccompProfileSHA256: hash(9), capabilities: caps(['CAP_CHOWN']) }));
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, ['invalid seccomp']);
});

test(`${SUITE}: create_container with a wrong command and nothing else: the reasons are the `
  + 'framework\'s one error, no note', () => {
  const md = last(run(policy, mountCalls(c.layers, ID(8)))).metadata;
  const d = evaluateEnforcementPoint(policy, md, 'create_container',
    createInput(c, ID(8), { argList: ['/bin/evil'] }));
  assert.equal([d.allowed, d.framework_reasons, d.reasons],
    [false, ['invalid command'], ['invalid command']]);
});

test(`${SUITE}: create_container outside Linux names neither mounts nor devices`, () => {
  const md = last(run(policy, mountCalls(c.layers, ID(9)))).metadata;
  const windows = { ...md, operatingsystem: { ostype: 'windows' } };
  const d = evaluateEnforcementPoint(policy, windows, 'create_container', createInput(c, ID(9), {
    mounts: [{ destination: '/x', source: '/y', type: 'bind', options: ['ro'] }],
    devices: [{ path: '/dev/sda' }] }));
  assert.not.ok(d.allowed);
  assert.not.ok(d.framework_reasons!.some((r) => r.startsWith('invalid mount list')),
    d.framework_reasons!.join(' | '));
  assert.not.ok(d.framework_reasons!.includes('devices not supported'));
  const linux = evaluateEnforcementPoint(policy, md, 'create_container', createInput(c, ID(9), {
    mounts: [{ destination: '/x', source: '/y', type: 'bind', options: ['ro'] }],
    devices: [{ path: '/dev/sda' }] }));
  assert.ok(linux.framework_reasons!.includes('invalid mount list: /x'));
  assert.ok(linux.framework_reasons!.includes('devices not supported'));
});

test.run();
