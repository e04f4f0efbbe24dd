/**
 * Goal: exec_in_container, exec_external, signal_container_process and shutdown_container follow
 * spec (c); the API-version defaults, rule bindings and hostile rule names behave as api.rego says.
 * Method: threaded sequences on hand-built policies; expected reasons are the spec strings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata, initialMetadata } from '../../models/policy/metadata.js';
import type { PolicyDialect } from '../../models/policy/dialect.js';
import type { PolicyContainer } from '../../models/policy/policy-model.js';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  ID, container, createInput, env, execInput, hash, last, mountCalls, run, securityPolicy
} from './engine-support.js';

const c = container({ signals: [15], exec_processes: [{ command: ['sh'], signals: [9] },
  { command: ['echo', 'hi'], signals: [] }] });
const policy = securityPolicy({ containers: [c] });
const started = last(run(policy, [...mountCalls(c.layers, ID(1)),
  ['create_container', createInput(c, ID(1))]])).metadata;

test('policy/engine exec_in_container: a listed exec process with the container env and cwd is '
    + 'allowed', () => {
  const d = evaluateEnforcementPoint(policy, started, 'exec_in_container',
    execInput(c, ID(1), ['sh']));
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.equal(d.env_list, ['PATH=/usr/bin', 'TERM=xterm']);
});

const execDenials: readonly (readonly [string, Record<string, unknown>, string])[] = [
  ['an unlisted argv', { argList: ['bash'] }, 'invalid command'],
  ['another working dir', { argList: ['sh'], workingDir: '/tmp' }, 'invalid working directory'],
  ['an env the rules do not allow', { argList: ['sh'], envList: ['X=1'] }, 'invalid env list: X'],
  ['another umask', { argList: ['sh'], umask: '0000' }, 'invalid user'],
];
for (const [condition, overrides, reason] of execDenials) {
  test(`policy/engine exec_in_container: ${condition} is denied with "${reason}"`, () => {
    const d = evaluateEnforcementPoint(policy, started, 'exec_in_container',
      { ...execInput(c, ID(1), ['sh']), ...overrides });
    assert.is(d.allowed, false);
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
    assert.is(d.metadata, started);
  });
}

test('policy/engine exec_in_container: an ID that was never created is denied with "container not '
    + 'started"', () => {
  const d = evaluateEnforcementPoint(policy, started, 'exec_in_container',
    execInput(c, ID(2), ['sh']));
  assert.is(d.allowed, false);
  // With no matches for the ID every helper fails; the per-process helpers always do.
  assert.equal(d.framework_reasons, ['container not started', 'invalid command',
    'invalid env list: PATH,TERM', 'invalid noNewPrivileges', 'invalid user',
    'invalid working directory']);
});

test('policy/engine exec_in_container: after shutdown every exec and signal is denied', () => {
  const ds = run(policy, [['shutdown_container', { containerID: ID(1) }],
    ['exec_in_container', execInput(c, ID(1), ['sh'])],
    ['signal_container_process', { containerID: ID(1), signal: 15, isInitProcess: true,
      argList: c.command }]], started);
  assert.equal(ds.map((d) => d.allowed), [true, false, false]);
  assert.ok(ds[1]!.reasons.includes('invalid command'));
  assert.equal(ds[2]!.reasons, ["target isn't allowed to receive the signal"]);
});

const signalCases: readonly (readonly [string, Record<string, unknown>, boolean])[] = [
  ['init process, a signal in the container signals',
    { signal: 15, isInitProcess: true, argList: c.command }, true],
  ['init process, a signal only an exec process may get',
    { signal: 9, isInitProcess: true, argList: c.command }, false],
  ['exec process sh, its own signal 9', { signal: 9, isInitProcess: false, argList: ['sh'] }, true],
  ['exec process sh, the init signal 15', { signal: 15, isInitProcess: false, argList: ['sh'] },
    false],
  ['exec process echo (no signals), signal 9', { signal: 9, isInitProcess: false,
    argList: ['echo', 'hi'] }, false],
  ['an unknown process argv', { signal: 9, isInitProcess: false, argList: ['evil'] }, false],
];
for (const [condition, input, allowed] of signalCases) {
  test(`policy/engine signal_container_process: ${condition} is ${allowed ? 'allowed' : 'denied'}`,
      () => {
    const d = evaluateEnforcementPoint(policy, started, 'signal_container_process',
      { containerID: ID(1), ...input });
    assert.is(d.allowed, allowed);
    if (!allowed) assert.equal(d.reasons, ["target isn't allowed to receive the signal"]);
  });
}

/** A started container of a policy declaring framework `version`, in `dialect`. */
function startedIn(version: string, dialect: PolicyDialect, k: PolicyContainer) {
  const p = securityPolicy({ framework_version: version, containers: [k] });
  const ds = run(p, [...mountCalls(k.layers, ID(1)), ['create_container', createInput(k, ID(1))]],
    initialMetadata(dialect), { dialect });
  assert.ok(last(ds).allowed, last(ds).reasons.join(' | '));
  return (signal: number, isInitProcess: boolean, argList: readonly string[]) =>
    evaluateEnforcementPoint(p, last(ds).metadata, 'signal_container_process',
      { containerID: ID(1), signal, isInitProcess, argList }, { dialect });
}

test('policy/engine signal_container_process: below framework 0.4.1 HEAD lets every init process '
    + 'receive 9 and 15; v0.14.1 does not', () => {
  const k = container({ signals: [], exec_processes: [{ command: ['sh'], signals: [] }] });
  const head = startedIn('0.2.3', 'head', k);
  assert.ok(head(9, true, k.command!).allowed);
  assert.ok(head(15, true, k.command!).allowed);
  assert.is(head(9, false, ['sh']).allowed, false);   // exec processes get no implicit signals
  const old = startedIn('0.2.3', 'v0.14.1', k);
  assert.is(old(9, true, k.command!).allowed, false);
  assert.is(startedIn('0.4.1', 'head', k)(15, true, k.command!).allowed, false);
});

test('policy/engine signal_container_process: v0.14.1\'s error helper ignores isInitProcess, so a '
    + 'denied init signal that an exec process with that argv may get carries no error', () => {
  const k = container({ signals: [], exec_processes: [{ command: ['sh'], signals: [9] }] });
  const head = startedIn('0.4.1', 'head', k)(9, true, ['sh']);
  assert.is(head.allowed, false);
  assert.equal(head.framework_reasons, ["target isn't allowed to receive the signal"]);
  const old = startedIn('0.3.0', 'v0.14.1', k)(9, true, ['sh']);
  assert.is(old.allowed, false);
  assert.equal(old.framework_reasons, []);
});

test('policy/engine shutdown_container: unknown IDs are "container not started"; a second shutdown '
    + 'is allowed (removing an absent key is no interpreter error)', () => {
  const ds = run(policy, [['shutdown_container', { containerID: ID(9) }],
    ['shutdown_container', { containerID: ID(1) }], ['shutdown_container', { containerID: ID(1) }]],
    started);
  assert.equal(ds.map((d) => d.allowed), [false, true, true]);
  assert.equal(ds[0]!.framework_reasons, ['container not started']);
  assert.equal(Object.keys(ds[1]!.metadata.matches), []);
  assert.equal(ds[2]!.delta, [{ name: 'matches', action: 'remove', key: ID(1) }]);
  assert.ok(Object.hasOwn(ds[2]!.metadata.started, ID(1)));
});

const external = securityPolicy({ external_processes: [
  { command: ['bash'], env_rules: [env('PATH=/bin', 'string', true)], working_dir: '/',
    allow_stdio_access: false },
  { command: ['ls'], env_rules: [env('PATH=/bin')], working_dir: '/', allow_stdio_access: true },
  { command: ['ls'], env_rules: [env('PATH=/bin')], working_dir: '/', allow_stdio_access: false },
] });
test('policy/engine exec_external: a listed process is allowed with its stdio flag and no metadata '
    + 'change', () => {
  const d = evaluateEnforcementPoint(external, emptyMetadata(), 'exec_external',
    { argList: ['bash'], envList: ['PATH=/bin'], workingDir: '/' });
  assert.ok(d.allowed);
  assert.is(d.allow_stdio_access, false);
  assert.equal(d.delta, []);
});
const externalDenials: readonly (readonly [string, Record<string, unknown>, string])[] = [
  ['an unlisted argv', { argList: ['sh'], envList: ['PATH=/bin'], workingDir: '/' },
    'invalid command'],
  ['another working dir', { argList: ['bash'], envList: ['PATH=/bin'], workingDir: '/tmp' },
    'invalid working directory'],
  ['a missing required env', { argList: ['bash'], envList: [], workingDir: '/' },
    'missing required environment variable'],
  ['candidates disagreeing on stdio', { argList: ['ls'], envList: [], workingDir: '/' },
    'external processes only distinguishable by allow_stdio_access'],
];
for (const [condition, input, reason] of externalDenials) {
  test(`policy/engine exec_external: ${condition} is denied with "${reason}"`, () => {
    const d = evaluateEnforcementPoint(external, emptyMetadata(), 'exec_external', input);
    assert.is(d.allowed, false);
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
  });
}

// Flags and api.rego versioning.
for (const [rule, flag] of [['get_properties', 'allow_properties_access'],
    ['dump_stacks', 'allow_dump_stacks'], ['runtime_logging', 'allow_runtime_logging'],
    ['host_network', 'allow_host_network']] as const) {
  test(`policy/engine ${rule}: allowed iff ${flag}`, () => {
    assert.ok(evaluateEnforcementPoint(securityPolicy({ flags: { [flag]: true } }), emptyMetadata(),
      rule, {}).allowed);
    const d = evaluateEnforcementPoint(securityPolicy({ flags: { [flag]: false } }),
      emptyMetadata(), rule, {});
    assert.is(d.allowed, false);
    assert.ok(d.reasons[0]!.includes(flag));
  });
}

const unbound = (api: string) => securityPolicy({ api_version: api,
  rules: { mount_device: { kind: 'framework' } } });
test('policy/engine versioning: an unbound rule older than the policy api_version is denied as '
    + 'missing', () => {
  const d = evaluateEnforcementPoint(unbound('0.10.0'), emptyMetadata(), 'exec_in_container',
    execInput(c, ID(1), ['sh']));
  assert.is(d.allowed, false);
  assert.equal(d.framework_reasons, ['rule for exec_in_container is missing from policy']);
});
test('policy/engine versioning: an unbound rule newer than the policy uses the api default (allow '
    + 'or deny)', () => {
  const old = unbound('0.1.0');
  assert.ok(evaluateEnforcementPoint(old, emptyMetadata(), 'shutdown_container',
    { containerID: ID(1) }).allowed);
  assert.ok(evaluateEnforcementPoint(old, emptyMetadata(), 'get_properties', {}).allowed);
  assert.is(evaluateEnforcementPoint(old, emptyMetadata(), 'load_fragment',
    { issuer: 'i', feed: 'f', namespace: 'n' }).allowed, false);
  assert.equal(evaluateEnforcementPoint(old, emptyMetadata(), 'create_container',
    createInput(c, ID(1))).source, 'rule-missing');
});
test('policy/engine versioning: rw_mount_device unbound in an api 0.10 policy uses the framework '
    + 'rule (use_framework)', () => {
  const d = evaluateEnforcementPoint(unbound('0.10.0'), emptyMetadata(), 'rw_mount_device',
    { target: `/run/gcs/c/${hash(1)}`, encrypted: false, ensureFilesystem: true,
    filesystem: 'ext4' });
  assert.is(d.source, 'framework');
  assert.ok(d.reasons[0]!.startsWith('unencrypted scratch not allowed'));
});
test('policy/engine versioning: constant bindings and allow_all decide without metadata', () => {
  const constant = securityPolicy({ rules: { create_container: { kind: 'constant', allowed: true,
    outputs: {} } } });
  const d = evaluateEnforcementPoint(constant, emptyMetadata(), 'create_container',
    createInput(c, ID(1)));
  assert.ok(d.allowed);
  assert.equal(d.delta, []);
  const all = evaluateEnforcementPoint(securityPolicy({ allow_all: true, format: 'legacy-json' }),
    emptyMetadata(), 'mount_blockdev', {});
  assert.is(all.source, 'allow-all');
  assert.ok(all.allowed);
});

test('policy/engine versioning: a Rego policy of constant allows still denies blockdev (api '
    + 'default, not open door)', () => {
  const rules = { create_container: { kind: 'constant' as const, allowed: true, outputs: {} } };
  const d = evaluateEnforcementPoint(securityPolicy({ allow_all: false, format: 'rego',
    api_version: '0.10.0', rules }),
    emptyMetadata(), 'mount_blockdev', { target: '/run/mounts/b0' });
  assert.is(d.allowed, false);
  assert.is(d.source, 'api-default');
});
test('policy/engine versioning: a framework_version ahead of the engine gives no policy containers',
    () => {
  const ahead = securityPolicy({ framework_version: '9.0.0' });
  const [mount, overlay] = run(ahead, mountCalls([hash(1)], ID(1)));
  // deviceHash_ok reads data.policy.containers as written, without the version gate.
  assert.ok(mount!.allowed);
  assert.is(overlay!.allowed, false);
  assert.equal(overlay!.framework_reasons, ['framework_version is ahead of the current version: '
    + '9.0.0 is greater than 0.5.0', 'no matching containers for overlay']);
});
test('policy/engine: an unknown rule name is POLICY_UNKNOWN_RULE (prototype names included)',
    () => {
  for (const rule of ['mount_everything', '__proto__', 'toString', '']) {
    assert.is(errorCode(() => evaluateEnforcementPoint(policy, emptyMetadata(), rule, {})),
      'POLICY_UNKNOWN_RULE');
  }
});

test.run();
