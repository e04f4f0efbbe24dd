/**
 * Goal: the legacy JSON importer (models/policy/import-legacy-json.ts) gives the documented
 * policy for both legacy shapes ({length, elements} of hcsshim, {num, l0..} of the sidecar) and
 * refuses every malformed one with the documented message at the right place.
 * Method: small hand-written legacy documents; the expected policies are the module header's
 * documented conversion (API 0.10.0, framework 0.3.0, the legacy flags and defaults), written
 * out by hand; error positions counted with `at` in the input text.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { failure, positionOf as at } from '../support/failure.js';

const L1 = '1a'.repeat(32);
const L2 = '2b'.repeat(32);

function load(text: string): SecurityPolicy {
  return importSecurityPolicy(new TextEncoder().encode(text));
}

function fails(text: string, marker: string, message: string, code = 'POLICY_PARSE'): SimError {
  const error = failure(() => load(text));
  const { line, column } = at(text, marker);
  assert.is(error.message, `${code}: ${line}:${column}: ${message}`);
  assert.is(error.code, code);
  assert.equal([error.detail['line'], error.detail['column']], [line, column]);
  return error;
}

const map = (items: readonly string[]): string => `{"length": ${items.length}, "elements": {`
  + items.map((item, i) => `"${i}": ${item}`).join(', ') + '}}';
const strings = (items: readonly string[]): string => map(items.map((s) => JSON.stringify(s)));

function hcsshim(members: Record<string, string>): string {
  const all: Record<string, string> = { command: strings(['/bin/app', '-v']),
    env_rules: map([]), layers: strings([L1]), working_dir: '"/"', ...members };
  return '{' + Object.entries(all).filter(([, v]) => v !== '').map(([k, v]) => `"${k}": ${v}`)
    .join(', ') + '}';
}

const policyOf = (containers: readonly string[], allowAll = false): string =>
  `{"allow_all": ${allowAll}, "containers": ${map(containers)}}`;

const LEGACY_POINTS = ['mount_device', 'unmount_device', 'mount_overlay', 'unmount_overlay',
  'create_container', 'exec_in_container', 'exec_external', 'shutdown_container',
  'signal_container_process', 'plan9_mount', 'plan9_unmount', 'get_properties', 'dump_stacks',
  'runtime_logging', 'load_fragment', 'scratch_mount', 'scratch_unmount'];

const LEGACY_FLAGS = { allow_properties_access: true, allow_dump_stacks: true,
  allow_runtime_logging: true, allow_environment_variable_dropping: false,
  allow_unencrypted_scratch: true, allow_capability_dropping: false, allow_host_network: false };

test('policy/legacy: an open door is constant allows of API 0.10.0 with stdio where it applies',
    () => {
  const policy = load('{"allow_all": true}');
  assert.equal(policy, {
    format: 'legacy-json', api_version: '0.10.0', framework_version: '0.3.0', containers: [],
    external_processes: [], fragments: [], flags: LEGACY_FLAGS,
    rules: Object.fromEntries(LEGACY_POINTS.map((name) => [name, { kind: 'constant',
      allowed: true, outputs: name === 'create_container' || name === 'exec_external'
        ? { allow_stdio_access: true } : {} }])),
    allow_all: true, package_name: 'policy', svn: null, notes: [], reason_errors: false,
  });
  assert.equal(load('{"allow_all": true, "containers": {"length": 0, "elements": null}}')
    .containers, []);
});

test('policy/legacy: a closed policy binds every API 0.10.0 point to the framework', () => {
  const policy = load(policyOf([hcsshim({})]));
  assert.equal(policy.rules, Object.fromEntries(LEGACY_POINTS.map((name) =>
    [name, { kind: 'framework' }])));
  assert.is(policy.allow_all, false);
  assert.is(policy.reason_errors, true);
  assert.equal(policy.flags, LEGACY_FLAGS);
  assert.equal(load('{"allow_all": false}').containers, []);
});

test('policy/legacy: an hcsshim container gets the documented legacy defaults', () => {
  const policy = load(policyOf([hcsshim({})]));
  assert.equal(policy.containers, [{
    id: '', name: '', command: ['/bin/app', '-v'], env_rules: [], layers: [L1],
    working_dir: '/', mounts: [], allow_elevated: false, exec_processes: [], signals: [],
    allow_stdio_access: true, no_new_privileges: false,
    user: { user_idname: { pattern: '', strategy: 'any' },
      group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' },
    capabilities: null, seccomp_profile_sha256: '',
  }]);
  assert.equal(policy.notes, []);
});

test('policy/legacy: optional container members are read when present', () => {
  const mounts = map(['{"source": "sandbox:///tmp/x", "destination": "/d", "type": "bind", '
    + `"options": ${strings(['rbind', 'rw'])}}`]);
  const policy = load(policyOf([hcsshim({ allow_elevated: 'true', mounts,
    ExecProcesses: '[{"command": ["sh"]}, {"command": []}]',
    env_rules: map(['{"strategy": "string", "rule": "A=1"}',
      '{"strategy": "re2", "rule": "B=.*", "required": true}']),
    layers: strings([L1.toUpperCase(), L2]) })]));
  const c = policy.containers[0]!;
  assert.is(c.allow_elevated, true);
  assert.equal(c.mounts, [{ destination: '/d', options: ['rbind', 'rw'],
    source: 'sandbox:///tmp/x', type: 'bind' }]);
  assert.equal(c.exec_processes, [{ command: ['sh'], signals: [] }, { command: [], signals: [] }]);
  assert.equal(c.env_rules, [{ pattern: 'A=1', strategy: 'string', required: false },
    { pattern: 'B=.*', strategy: 're2', required: true }]);
  assert.equal(c.layers, [L1, L2]);
  assert.is(load(policyOf([hcsshim({ allow_elevated: 'false' })])).containers[0]!.allow_elevated,
    false);
  assert.equal(load(policyOf([hcsshim({ ExecProcesses: 'null' })])).containers[0]!
    .exec_processes, []);
});

test('policy/legacy: element maps are read in index order and must hold exactly 0..length-1',
    () => {
  const swapped = `{"allow_all": false, "containers": {"length": 2, "elements": {"1": `
    + `${hcsshim({ command: strings(['second']) })}, "0": ${hcsshim({})}}}}`;
  assert.equal(load(swapped).containers.map((c) => c.command), [['/bin/app', '-v'], ['second']]);
  const gap = '{"allow_all": false, "containers": {"length": 1, "elements": {"1": {}}}}';
  fails(gap, '{"1"', 'containers.elements: has no entry "0" (keys must be 0..0)');
  const extra = '{"allow_all": false, "containers": {"length": 1, "elements": {}}}';
  fails(extra, '{}}', 'containers.elements: holds 0 entries but length is 1');
  const nulls = '{"allow_all": false, "containers": {"length": 2, "elements": null}}';
  fails(nulls, 'null', 'containers.elements: is null but length is 2');
  fails('{"allow_all": false, "containers": {"length": 0, "elements": {}, "n": 1}}', '"n"',
    'containers: unknown field "n" (known: length, elements)');
  fails('{"allow_all": false, "containers": {"length": -1, "elements": {}}}', '-1',
    'containers.length must be a non-negative integer, found number -1');
  fails('{"allow_all": false, "containers": {"length": 0}}', '{"length"',
    'containers: missing field "elements"');
  fails('{"allow_all": false, "containers": {"elements": {}}}', '{"elements"',
    'containers: missing field "length"');
});

test('policy/legacy: a containers object of neither shape is refused', () => {
  fails('{"allow_all": false, "containers": {}}', '{}', 'containers: a legacy containers object '
    + 'needs "length" and "elements" (or "num")');
  fails('{"allow_all": false, "containers": {"x": 1}}', '{"x"', 'containers: a legacy '
    + 'containers object needs "length" and "elements" (or "num")');
});

test('policy/legacy: an open door with containers is hcsshim ErrInvalidOpenDoorPolicy', () => {
  const text = policyOf([hcsshim({})], true);
  fails(text, '{"length"', 'containers: allow_all cannot be true when containers are listed '
    + '(hcsshim rejects such a policy: ErrInvalidOpenDoorPolicy)');
});

test('policy/legacy: top-level members are checked; services is ignored with a note', () => {
  const policy = load('{"allow_all": false, "services": {"skr": {}}}');
  assert.equal(policy.notes, ['services: confidential-sidecar configuration, not part of the '
    + 'security policy; ignored (the GCS never read it)']);
  fails('{"allow_all": false, "services": []}', '[]', 'services must be an object, found an '
    + 'array');
  fails('{"allow_all": false, "extra": 1}', '"extra"', '(policy): unknown field "extra" (known: '
    + 'allow_all, containers, services)');
  fails('{"allow_all": 1}', '1', 'allow_all must be true or false, found number 1');
  fails('{"allow_all": false, "containers": {"length": 1, "elements": {"0": 7}}}', '7}',
    'containers.elements.0 must be an object, found number 7');
});

test('policy/legacy: hcsshim container members are checked with their paths', () => {
  const one = (members: Record<string, string>): string => policyOf([hcsshim(members)]);
  fails(one({ user: '{}' }), '"user"', 'containers.elements.0: unknown field "user" (known: '
    + 'command, env_rules, layers, working_dir, mounts, allow_elevated, ExecProcesses)');
  fails(one({ working_dir: '' }), '{"command"', 'containers.elements.0: missing field '
    + '"working_dir"');
  fails(one({ command: map(['1']) }), '1}}', 'containers.elements.0.command.elements.0 must be a '
    + 'string, found number 1');
  fails(one({ allow_elevated: '"yes"' }), '"yes"', 'containers.elements.0.allow_elevated must be '
    + 'true or false, found string "yes"');
  fails(one({ ExecProcesses: '[{"command": [], "signals": []}]' }), '"signals"',
    'containers.elements.0.ExecProcesses[0]: unknown field "signals" (known: command)');
  fails(one({ ExecProcesses: '{}' }), '{}}}}', 'containers.elements.0.ExecProcesses must be an '
    + 'array, found an object');
  fails(one({ layers: strings(['abc']) }), `{"length": 1, "elements": {"0": "abc"`,
    'containers.elements.0.layers: "abc" is not a 64-hex dm-verity root hash');
});

test('policy/legacy: env rules and mounts are checked with their paths', () => {
  const one = (members: Record<string, string>): string => policyOf([hcsshim(members)]);
  fails(one({ env_rules: map(['{"strategy": "glob", "rule": "A"}']) }), '"glob"',
    'containers.elements.0.env_rules.elements.0.strategy: "glob" is not one of "string", "re2"');
  fails(one({ env_rules: map(['{"strategy": "string", "rule": "A", "x": 1}']) }), '"x"',
    'containers.elements.0.env_rules.elements.0: unknown field "x" (known: strategy, rule, '
      + 'required)');
  fails(one({ env_rules: map(['{"strategy": "string", "rule": "A", "required": 0}']) }), '0}',
    'containers.elements.0.env_rules.elements.0.required must be true or false, found number 0');
  assert.equal(load(one({ env_rules: map(['{"strategy": "string", "rule": "(?=x)"}']) }))
    .containers[0]!.env_rules[0]!.pattern, '(?=x)');
  const re2 = one({ env_rules: map(['{"strategy": "re2", "rule": "(?=x)"}']) });
  const error = failure(() => load(re2));
  assert.is(error.code, 'POLICY_BAD_REGEX');
  assert.equal([error.detail['column'], error.detail['field']], [at(re2, '{"strategy"').column,
    'containers.elements.0.env_rules.elements.0.rule']);
  const mount = (m: string): string => one({ mounts: map([m]) });
  fails(mount('{"source": "s", "destination": "/d", "type": "bind", "options": [], "x": 1}'),
    '"x"', 'containers.elements.0.mounts.elements.0: unknown field "x" (known: source, '
      + 'destination, type, options)');
  fails(mount('{"source": "s", "destination": "/d", "options": {"length": 0, "elements": {}}}'),
    '{"source"', 'containers.elements.0.mounts.elements.0: missing field "type"');
  fails(mount('{"source": "s", "destination": "/d", "type": "bind", "options": []}'), '[]}',
    'containers.elements.0.mounts.elements.0.options must be an object, found an array');
});

test('policy/legacy: the sidecar shape splits its command and checks its layer keys', () => {
  const text = `{"allow_all": false, "containers": {"num": 2, "pause": {"command": "/pause", `
    + `"layers": {"num": 1, "l0": "${L1}"}}, "app": {"command": "  rustc   --help ", "layers": `
    + `{"num": 2, "l0": "${L1.toUpperCase()}", "l1": "${L2}"}}}}`;
  const policy = load(text);
  assert.equal(policy.containers.map((c) => [c.name, c.command, c.layers, c.working_dir,
    c.env_rules, c.mounts, c.allow_elevated, c.exec_processes]), [
    ['pause', ['/pause'], [L1], '/', [], [], false, []],
    ['app', ['rustc', '--help'], [L1, L2], '/', [], [], false, []]]);
  const side = (container: string, num = 1): string =>
    `{"allow_all": false, "containers": {"num": ${num}, "c": ${container}}}`;
  fails(side(`{"command": "  ", "layers": {"num": 0}}`), '"  "', 'containers.c.command: is empty');
  fails(side(`{"command": "a", "layers": {"num": 1, "l1": "${L1}"}}`), '{"num": 1, "l1"',
    'containers.c.layers: entry 0 is "l1", expected "l0"');
  fails(side(`{"command": "a", "layers": {"num": 2, "l0": "${L1}", "l2": "${L2}"}}`),
    '{"num": 2, "l0"', 'containers.c.layers: entry 1 is "l2", expected "l1"');
  fails(side(`{"command": "a", "layers": {"num": 2, "l0": "${L1}"}}`), '{"num": 2, "l0"',
    'containers.c.layers: holds 1 entries but num is 2');
  fails(side(`{"command": "a", "layers": {"num": 0}}`, 3), '{"num": 3',
    'containers: holds 1 entries but num is 3');
  fails(side(`{"command": "a", "layers": {"num": 1, "l0": "zz"}}`), '{"num": 1, "l0"',
    'containers.c.layers: "zz" is not a 64-hex dm-verity root hash');
  fails(side(`{"command": "a", "layers": {"num": 1, "l0": 5}}`), '5}',
    'containers.c.layers.l0 must be a string, found number 5');
  fails(side(`{"command": "a", "layers": {"num": 0}, "env": 1}`), '"env"',
    'containers.c: unknown field "env" (known: command, layers)');
  fails(side(`{"command": ["a"], "layers": {"num": 0}}`), '["a"]',
    'containers.c.command must be a string, found an array');
});

test('policy/legacy: only an object with allow_all and no container list is legacy', () => {
  const none = 'a JSON document that is none of: a legacy JSON policy ({"allow_all", '
    + '"containers"}), an ARM template with a ccePolicy, parma-sim native JSON (`policy show` '
    + 'output)';
  fails('{"allow_all": true, "containers": []}', '{', none);
  fails('{"containers": {"length": 0, "elements": null}}', '{', none);
  assert.is(load('{"allow_all": true, "containers": {"num": 0}}').allow_all, true);
});

test.run();
