/**
 * Goal: create_container narrows matches[id] and judges every field as spec (c) says: command,
 * env (with dropping and undecidable ties), capabilities (defaults, dropping, ties), mounts of
 * every source kind, default and privileged mounts, user/groups/umask, no_new_privileges,
 * seccomp, device nodes, stdio agreement, and single use of container IDs.
 * Method: mount a container's layers and overlay, then create with a hand-built request; the
 * expected verdict and reason strings come from the spec.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PolicyContainer, SecurityPolicy } from '../../models/policy/policy-model.js';
import type { Decision } from '../../models/policy/engine.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import {
  HUGEPAGES_DIR, ID, SANDBOX_DIR, UNPRIVILEGED_14, caps, container, createInput, env, hash, last,
    mountCalls, run, securityPolicy,
} from './engine-support.js';

function create(policy: SecurityPolicy, c: PolicyContainer, overrides: Record<string, unknown> = {},
    id = ID(1)): Decision {
  return last(run(policy, [...mountCalls(c.layers, id),
    ['create_container', createInput(c, id, overrides)]]));
}

test('policy/engine create_container: the exact request is allowed; matches narrows to it, started '
    + 'records privileged', () => {
  const c = container();
  const d = create(securityPolicy({ containers: [c] }), c);
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.equal(d.metadata.started, { [ID(1)]: { privileged: false } });
  assert.equal(d.metadata.matches[ID(1)]!.length, 1);
  assert.equal(d.env_list, ['PATH=/usr/bin', 'TERM=xterm']);
  assert.is(d.allow_stdio_access, true);
});

// Narrowing: two containers with the same layers told apart by command, then env, then exec.
const same = { layers: [hash(7)] };
const byCommand = [container({ ...same, name: 'x', command: ['/x'] }),
  container({ ...same, name: 'y', command: ['/y'] })];
test('policy/engine narrowing: same layers, told apart by command', () => {
  const d = create(securityPolicy({ containers: byCommand }), byCommand[1]!);
  assert.ok(d.allowed);
  assert.equal(d.metadata.matches[ID(1)]!.map((c) => c.name), ['y']);
});

const byEnv = [container({ ...same, name: 'x', env_rules: [env('MODE=x')] }),
  container({ ...same, name: 'y', env_rules: [env('MODE=y')] })];
test('policy/engine narrowing: same layers and command, told apart by env', () => {
  const d = create(securityPolicy({ containers: byEnv }), byEnv[0]!, { envList: ['MODE=x'] });
  assert.ok(d.allowed);
  assert.equal(d.metadata.matches[ID(1)]!.map((c) => c.name), ['x']);
});

const byExec = [
  container({ ...same, name: 'x', exec_processes: [{ command: ['/bin/x'], signals: [] }] }),
  container({ ...same, name: 'y', exec_processes: [{ command: ['/bin/y'], signals: [] }] }),
];
test('policy/engine narrowing: identical at create, told apart by the first exec', () => {
  const policy = securityPolicy({ containers: byExec });
  const created = create(policy, byExec[0]!);
  assert.equal(created.metadata.matches[ID(1)]!.length, 2);
  const [exec] = run(policy, [['exec_in_container',
    { ...createInput(byExec[0]!, ID(1)), argList: ['/bin/y'] }]], created.metadata);
  assert.ok(exec!.allowed);
  assert.equal(exec!.metadata.matches[ID(1)]!.map((c) => c.name), ['y']);
  const [other] = run(policy, [['exec_in_container',
    { ...createInput(byExec[0]!, ID(1)), argList: ['/bin/x'] }]], exec!.metadata);
  assert.is(other!.allowed, false);
  assert.ok(other!.reasons.includes('invalid command'));
});

test('policy/engine create_container: a second create with the same ID is denied', () => {
  const c = container();
  const policy = securityPolicy({ containers: [c] });
  const ds = run(policy, [...mountCalls(c.layers, ID(1)),
    ['create_container', createInput(c, ID(1))], ['create_container', createInput(c, ID(1))]]);
  assert.is(last(ds).allowed, false);
  assert.ok(last(ds).reasons.includes('container already started'));
});

test('policy/engine create_container: an ID is never reused after shutdown (started is kept, '
    + 'matches removed)', () => {
  const c = container();
  const policy = securityPolicy({ containers: [c] });
  const ds = run(policy, [...mountCalls(c.layers, ID(1)),
    ['create_container', createInput(c, ID(1))],
    ['shutdown_container', { containerID: ID(1) }], ['create_container', createInput(c, ID(1))]]);
  const [shutdown, recreate] = ds.slice(-2);
  assert.ok(shutdown!.allowed);
  assert.not.ok(Object.hasOwn(shutdown!.metadata.matches, ID(1)));
  assert.is(recreate!.allowed, false);
  assert.ok(recreate!.framework_reasons!.includes('container already started'));
  assert.ok(Object.hasOwn(last(ds).metadata.started, ID(1)));
});

const fieldDenials: readonly (readonly [string, Partial<PolicyContainer>, Record<string, unknown>,
  string])[] = [
  ['another argv', {}, { argList: ['/app'] }, 'invalid command'],
  ['another working dir', {}, { workingDir: '/tmp' }, 'invalid working directory'],
  ['an env no rule allows (dropping off)', {}, { envList: ['PATH=/usr/bin', 'EVIL=1'] },
    'invalid env list: EVIL'],
  ['a missing required env', { env_rules: [env('PATH=/usr/bin', 'string', true)] }, { envList: [] },
    'missing required environment variable'],
  ['privileged on a non-elevated container', {}, { privileged: true },
    'privileged escalation not allowed'],
  ['noNewPrivileges false where the policy demands it', { no_new_privileges: true },
    { noNewPrivileges: false }, 'invalid noNewPrivileges'],
  ['another umask', {}, { umask: '0000' }, 'invalid user'],
  ['a user name the name rule does not allow', { user: { user_idname: { pattern: 'app',
    strategy: 'name' }, group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' } }, {},
    'invalid user'],
  ['a group no group rule allows', { user: { user_idname: { pattern: '', strategy: 'any' },
    group_idnames: [{ pattern: '1000', strategy: 'id' }], umask: '0022' } }, {}, 'invalid user'],
  ['another seccomp profile', {}, { seccompProfileSHA256: hash(5) }, 'invalid seccomp'],
  ['an extra Linux device node', {}, { devices: [{ path: '/dev/sda' }] }, 'devices not supported'],
  ['an extra capability (dropping off)', {}, { capabilities: caps([...UNPRIVILEGED_14,
    'CAP_SYS_ADMIN']) }, "capabilities don't match"],
  ['fewer capabilities than allowed', {}, { capabilities: caps(UNPRIVILEGED_14.slice(1)) },
    "capabilities don't match"],
  ['capabilities: null', {}, { capabilities: null }, "capabilities don't match"],
  ['an unknown mount', {}, { mounts: [{ destination: '/data', source: '/host', type: 'bind',
    options: ['rbind'] }] }, 'invalid mount list: /data'],
];
for (const [condition, policyOverrides, request, reason] of fieldDenials) {
  test(`policy/engine create_container: ${condition} is denied with "${reason}"`, () => {
    const c = container(policyOverrides);
    const d = create(securityPolicy({ containers: [c] }), c, request);
    assert.is(d.allowed, false);
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
    assert.is(Object.hasOwn(d.metadata.started, ID(1)), false);
  });
}

test('policy/engine create_container: command null in the policy denies even the empty argv '
    + '(count(null) is undefined in the framework)', () => {
  const c = container({ command: null });
  const d = create(securityPolicy({ containers: [c] }), c, { argList: [] });
  assert.is(d.allowed, false);
  assert.equal(d.framework_reasons, ['invalid command']);
});

test('policy/engine create_container: with the empty-argv null-command reading, command null '
    + 'accepts exactly the empty argv', () => {
  const c = container({ command: null });
  const policy = securityPolicy({ containers: [c] });
  const lenient = (argList: readonly string[]) => last(run(policy, [...mountCalls(c.layers, ID(1)),
    ['create_container', createInput(c, ID(1), { argList })]], emptyMetadata(),
    { nullCommand: 'empty-argv' }));
  assert.ok(lenient([]).allowed);
  assert.is(lenient(['/bin/sh']).allowed, false);
});

test('policy/engine create_container: command null in the policy denies any host-chosen argv',
    () => {
  const c = container({ command: null });
  const d = create(securityPolicy({ containers: [c] }), c, { argList: ['/bin/sh'] });
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes('invalid command'));
});

test('policy/engine user rules: id, name and anchored re2 strategies', () => {
  const rule = (pattern: string, strategy: 'id' | 'name' | 're2') =>
    container({ user: { user_idname: { pattern, strategy },
    group_idnames: [{ pattern: 'r.*', strategy: 're2' }], umask: '0077' } });
  const ok = (c: PolicyContainer, user: object) =>
    create(securityPolicy({ containers: [c] }), c, { user, umask: '0077' }).allowed;
  assert.ok(ok(rule('1000', 'id'), { id: '1000', name: 'app' }));
  assert.is(ok(rule('1000', 'id'), { id: '10000', name: 'app' }), false);
  assert.ok(ok(rule('app', 'name'), { id: '1', name: 'app' }));
  assert.ok(ok(rule('ap+', 're2'), { id: '1', name: 'app' }));
  assert.is(ok(rule('ap', 're2'), { id: '1', name: 'app' }), false);
});

// Env dropping.
test('policy/engine env dropping: an unknown env is dropped from env_list when the policy allows '
    + 'dropping', () => {
  const c = container();
  const d = create(securityPolicy({ containers: [c],
    flags: { allow_environment_variable_dropping: true } }), c,
    { envList: ['PATH=/usr/bin', 'EVIL=1', 'TERM=xterm'] });
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.equal(d.env_list, ['PATH=/usr/bin', 'TERM=xterm']);
});

test('policy/engine env dropping: candidates whose largest accepted subsets differ are undecidable '
    + '(deny)', () => {
  const xs = [container({ ...same, name: 'x', env_rules: [env('A=1')] }),
    container({ ...same, name: 'y', env_rules: [env('B=1')] })];
  const d = create(securityPolicy({ containers: xs,
    flags: { allow_environment_variable_dropping: true } }), xs[0]!, { envList: ['A=1', 'B=1'] });
  assert.is(d.allowed, false);
  assert.ok(d.reasons.some((r) => r.includes('undecidable')), d.reasons.join(' | '));
});

test('policy/engine env dropping: the candidate that needs the fewest drops wins; the other is '
    + 'narrowed away', () => {
  const xs = [container({ ...same, name: 'x', env_rules: [env('A=1'), env('B=1')] }),
    container({ ...same, name: 'y', env_rules: [env('A=1')] })];
  const d = create(securityPolicy({ containers: xs,
    flags: { allow_environment_variable_dropping: true } }), xs[0]!,
    { envList: ['A=1', 'B=1', 'C=1'] });
  assert.ok(d.allowed);
  assert.equal(d.env_list, ['A=1', 'B=1']);
  assert.equal(d.metadata.matches[ID(1)]!.map((c) => c.name), ['x']);
});

test('policy/engine env re2: patterns are anchored, (?i) works, and a pattern RE2 rejects matches '
    + 'nothing (undefined in OPA, not an error)', () => {
  const c = container({ env_rules: [env('(?i)(FABRIC)_.+=.+', 're2'), env('HOST=a|b', 're2')] });
  const policy = securityPolicy({ containers: [c] });
  assert.ok(create(policy, c, { envList: ['fabric_X=1'] }).allowed);
  assert.is(create(policy, c, { envList: ['XFABRIC_X=1'] }).allowed, false);
  // anchor_pattern concatenates: `^HOST=a|b$` lets `b` alone through and `HOST=ax` too (faithful
  // quirk)
  assert.ok(create(policy, c, { envList: ['HOST=ax'] }).allowed);
  const bad = container({ env_rules: [env('(A)\\1', 're2')] });
  const d = create(securityPolicy({ containers: [bad] }), bad, { envList: ['AA'] });
  assert.is(d.allowed, false);
  assert.ok(d.framework_reasons!.includes('invalid env list: AA'));
});

// Capabilities.
test('policy/engine capabilities: null in the policy means 14 unprivileged defaults (inheritable '
    + 'and ambient empty)', () => {
  const c = container({ capabilities: null });
  const policy = securityPolicy({ containers: [c] });
  assert.ok(create(policy, c, { capabilities: caps(UNPRIVILEGED_14) }).allowed);
  assert.is(create(policy, c, { capabilities: caps(UNPRIVILEGED_14, UNPRIVILEGED_14) }).allowed,
    false);
});

test('policy/engine capabilities: null + allow_elevated + privileged request means the 41 '
    + 'privileged caps in all sets but ambient', () => {
  const c = container({ capabilities: null, allow_elevated: true });
  const policy = securityPolicy({ containers: [c] });
  const all41 = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID',
    'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE',
    'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
    'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
    'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
    'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE',
    'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
    'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
    'CAP_CHECKPOINT_RESTORE'];
  assert.is(all41.length, 41);
  const d = create(policy, c, { privileged: true, capabilities: caps(all41, all41) });
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.equal(d.metadata.started[ID(1)], { privileged: true });
  assert.is(create(policy, c, { privileged: false, capabilities: caps(all41, all41) }).allowed,
    false);
});

test('policy/engine capability dropping: extra requested caps are dropped from caps_list', () => {
  const c = container();
  const d = create(securityPolicy({ containers: [c], flags: { allow_capability_dropping: true } }),
    c, { capabilities: caps([...UNPRIVILEGED_14, 'CAP_SYS_ADMIN']) });
  assert.ok(d.allowed);
  assert.equal(d.caps_list!.bounding, [...UNPRIVILEGED_14].sort());
});

test('policy/engine capability dropping: equal-size but different largest subsets are undecidable',
    () => {
  const xs = [container({ ...same, name: 'x', capabilities: caps(['CAP_A']) }),
    container({ ...same, name: 'y', capabilities: caps(['CAP_B']) })];
  const d = create(securityPolicy({ containers: xs, flags: { allow_capability_dropping: true } }),
    xs[0]!, { capabilities: caps(['CAP_A', 'CAP_B']) });
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes('containers only distinguishable by capabilties'));
});

test('policy/engine stdio: remaining candidates that disagree on allow_stdio_access are '
    + 'undecidable', () => {
  const xs = [container({ ...same, allow_stdio_access: true }),
    container({ ...same, allow_stdio_access: false })];
  const d = create(securityPolicy({ containers: xs }), xs[0]!);
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes('containers only distinguishable by allow_stdio_access'));
});

// Mounts: every source kind.
const mount = (destination: string, source: string, options = ['rbind', 'rshared', 'rw'],
  type = 'bind') => ({ destination, source, type, options });
const mounted = container({ mounts: [
  mount('/etc/resolv.conf', 'sandbox:///tmp/atlas/resolvconf/.+'),
  mount('/dev/hugepages', 'hugepages://.+'),
  mount('/share', 'plan9://anything'),
  mount('/lit', '/exact/source', ['ro']),
] });
const mountCases: readonly (readonly [string, object, boolean])[] = [
  ['sandbox:// under the sandbox dir', mount('/etc/resolv.conf',
    `${SANDBOX_DIR}/tmp/atlas/resolvconf/x`), true],
  ['sandbox:// from another directory', mount('/etc/resolv.conf',
    `/elsewhere${SANDBOX_DIR}/tmp/atlas/resolvconf/x`), false],
  ['sandbox:// with a traversal prefix escaping the regex start',
    mount('/etc/resolv.conf', `/x${SANDBOX_DIR}/tmp/atlas/resolvconf/x`), false],
  ['hugepages:// under the hugepages dir', mount('/dev/hugepages', `${HUGEPAGES_DIR}/2M`), true],
  ['hugepages:// elsewhere', mount('/dev/hugepages', '/run/other/2M'), false],
  ['a literal source, exact', mount('/lit', '/exact/source', ['ro']), true],
  ['a literal source, other options', mount('/lit', '/exact/source', ['rw']), false],
  ['the wrong destination', mount('/other', '/exact/source', ['ro']), false],
  ['a default mount (/proc)', { destination: '/proc', source: 'proc', type: 'proc',
    options: ['nosuid', 'noexec', 'nodev'] }, true],
  ['rw /sys on a non-elevated container', { destination: '/sys', source: 'sysfs', type: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'rw'] }, false],
];
for (const [condition, m, allowed] of mountCases) {
  test(`policy/engine mounts: ${condition} is ${allowed ? 'allowed' : 'denied'}`, () => {
    const d = create(securityPolicy({ containers: [mounted] }), mounted, { mounts: [m] });
    assert.is(d.allowed, allowed, d.reasons.join(' | '));
    if (!allowed) assert.ok(d.reasons.some((r) => r.startsWith('invalid mount list:')));
  });
}

test('policy/engine mounts: privileged mounts (rw /sys) are allowed for allow_elevated containers',
    () => {
  const c = container({ allow_elevated: true });
  const d = create(securityPolicy({ containers: [c] }), c,
    { mounts: [{ destination: '/sys', source: 'sysfs', type: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'rw'] }] });
  assert.ok(d.allowed, d.reasons.join(' | '));
});

test('policy/engine mounts: the sandbox container may mount /sys rw without allow_elevated', () => {
  const c = container();
  const sysRw = { destination: '/sys', source: 'sysfs', type: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'rw'] };
  assert.ok(create(securityPolicy({ containers: [c] }), c,
    { mounts: [sysRw], isSandboxContainer: true }).allowed);
});

test('policy/engine mounts: plan9:// needs a plan9 mount owned by the same container ID', () => {
  const policy = securityPolicy({ containers: [mounted] });
  const target = `/run/gcs/c/${ID(1)}/mounts/m1`;
  const ds = run(policy, [...mountCalls(mounted.layers, ID(1)), ['plan9_mount', { target }],
    ['create_container', createInput(mounted, ID(1), { mounts: [mount('/share', target)] })]]);
  assert.ok(last(ds).allowed, last(ds).reasons.join(' | '));
  const other = run(policy, [...mountCalls(mounted.layers, ID(1)),
    ...mountCalls(mounted.layers, ID(2), 5), ['plan9_mount', { target }],
    ['create_container', createInput(mounted, ID(2), { mounts: [mount('/share', target)] })]]);
  assert.is(last(other).allowed, false);
});

test.run();
