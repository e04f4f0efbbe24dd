/**
 * Goal: the reader of framework.rego's policy objects from hostile JSON
 * (models/policy/shape-reader.ts) returns exactly the documented shape and names the JSON path
 * of every wrong value through the caller's failure function.
 * Method: hand-written JSON values; the failure function records (path, problem) so each
 * refusal is checked by its path and wording; expected objects written out by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reader, refusedAt } from './shape-refusals.js';

const USER = { user_idname: { pattern: 'u', strategy: 'name' },
  group_idnames: [{ pattern: '1', strategy: 'id' }], umask: '0022' };
const CONTAINER = { id: 'img', name: 'web', command: ['/app'],
  env_rules: [{ pattern: 'A=1', strategy: 'string', required: true }], layers: ['ab'],
  mounts: [{ destination: '/d', options: ['ro'], source: 's', type: 'bind' }],
  exec_processes: [{ command: ['sh'], signals: [9] }], signals: [15], working_dir: '/',
  allow_elevated: true, allow_stdio_access: false, no_new_privileges: true, user: USER,
  capabilities: { bounding: ['A'], effective: [], inheritable: [], permitted: [], ambient: [] },
  seccomp_profile_sha256: 'ff' };

test('policy/shape-reader: scalars are checked by type', () => {
  assert.equal(reader.object('p', { a: 1 }), { a: 1 });
  for (const value of [null, [], 'x', 1, undefined]) {
    refusedAt(() => reader.object('p', value), 'p', 'must be an object');
  }
  assert.is(reader.string('p', ''), '');
  refusedAt(() => reader.string('p', 1), 'p', 'must be a string');
  assert.is(reader.boolean('p', false), false);
  refusedAt(() => reader.boolean('p', 'true'), 'p', 'must be a boolean');
});

test('policy/shape-reader: an svn is a string or a finite number other than -0', () => {
  assert.is(reader.svn('s', '4'), '4');
  assert.is(reader.svn('s', 0), 0);
  assert.is(reader.svn('s', 2.5), 2.5);
  for (const value of [-0, Number.NaN, Number.POSITIVE_INFINITY, null, true, [1]]) {
    refusedAt(() => reader.svn('s', value), 's', 'must be a string or a number');
  }
});

test('policy/shape-reader: lists read absent and null as empty; string lists do not', () => {
  assert.equal(reader.list('l', undefined, () => 1), []);
  assert.equal(reader.list('l', null, () => 1), []);
  assert.equal(reader.list('l', ['a', 'b'], (path, item) => `${path}=${String(item)}`),
    ['l[0]=a', 'l[1]=b']);
  refusedAt(() => reader.list('l', {}, () => 1), 'l', 'must be an array');
  assert.equal(reader.strings('s', ['x']), ['x']);
  refusedAt(() => reader.strings('s', undefined), 's', 'must be an array of strings');
  refusedAt(() => reader.strings('s', ['x', 1]), 's[1]', 'must be a string');
});

test('policy/shape-reader: integers are safe integers other than -0', () => {
  assert.equal(reader.integers('i', [0, 9, 2 ** 53 - 1]), [0, 9, 2 ** 53 - 1]);
  assert.equal(reader.integers('i', undefined), []);
  for (const [value, index] of [[[1, -0], 1], [[1.5], 0], [[2 ** 53], 0], [['1'], 0]] as const) {
    refusedAt(() => reader.integers('i', value), `i[${index}]`, 'must be an integer');
  }
});

test('policy/shape-reader: capability sets default missing lists to empty', () => {
  assert.equal(reader.capabilities('c', { ambient: ['X'] }), { bounding: [], effective: [],
    inheritable: [], permitted: [], ambient: ['X'] });
  refusedAt(() => reader.capabilities('c', { effective: 'X' }), 'c.effective',
    'must be an array of strings');
  refusedAt(() => reader.capabilities('c', []), 'c', 'must be an object');
});

test('policy/shape-reader: env rules and id-name rules check their strategies', () => {
  assert.equal(reader.envRule('e', { pattern: 'A', strategy: 're2' }),
    { pattern: 'A', strategy: 're2', required: false });
  assert.equal(reader.envRule('e', { pattern: 'A', strategy: 'string', required: true }),
    { pattern: 'A', strategy: 'string', required: true });
  refusedAt(() => reader.envRule('e', { pattern: 'A', strategy: 'glob' }), 'e.strategy',
    'must be "string" or "re2"');
  refusedAt(() => reader.envRule('e', { pattern: 'A', strategy: 1 }), 'e.strategy',
    'must be a string');
  refusedAt(() => reader.envRule('e', { strategy: 'string' }), 'e.pattern', 'must be a string');
  refusedAt(() => reader.envRule('e', { pattern: 'A', strategy: 'string', required: 'no' }),
    'e.required', 'must be a boolean');
  for (const strategy of ['any', 'id', 'name', 're2']) {
    assert.equal(reader.idNameRule('u', { pattern: 'p', strategy }), { pattern: 'p', strategy });
  }
  refusedAt(() => reader.idNameRule('u', { pattern: 'p', strategy: 'uid' }), 'u.strategy',
    'must be any, id, name or re2');
  refusedAt(() => reader.idNameRule('u', { pattern: 1, strategy: 'id' }), 'u.pattern',
    'must be a string');
});

test('policy/shape-reader: users, mounts and exec processes are read member by member', () => {
  assert.equal(reader.userRule('u', USER), USER);
  assert.equal(reader.userRule('u', { ...USER, group_idnames: undefined }),
    { ...USER, group_idnames: [] });
  refusedAt(() => reader.userRule('u', { ...USER, umask: 18 }), 'u.umask', 'must be a string');
  refusedAt(() => reader.userRule('u', { ...USER, group_idnames: [{ pattern: 'g' }] }),
    'u.group_idnames[0].strategy', 'must be a string');
  const mount = { destination: '/d', options: ['ro'], source: 's', type: 'bind' };
  assert.equal(reader.mountRule('m', mount), mount);
  for (const key of ['destination', 'source', 'type']) {
    refusedAt(() => reader.mountRule('m', { ...mount, [key]: null }), `m.${key}`,
      'must be a string');
  }
  refusedAt(() => reader.mountRule('m', { ...mount, options: null }), 'm.options',
    'must be an array of strings');
  assert.equal(reader.execProcess('x', { command: ['a'] }), { command: ['a'], signals: [] });
  refusedAt(() => reader.execProcess('x', { signals: [] }), 'x.command',
    'must be an array of strings');
});

test('policy/shape-reader: a container is read member by member', () => {
  assert.equal(reader.container('c', CONTAINER), CONTAINER);
  const plain = reader.container('c', { ...CONTAINER, id: 1, name: undefined, command: null,
    capabilities: null, env_rules: undefined, mounts: null, exec_processes: undefined,
    signals: undefined });
  assert.equal([plain.id, plain.name, plain.command, plain.capabilities, plain.env_rules,
    plain.mounts, plain.exec_processes, plain.signals], ['', '', null, null, [], [], [], []]);
  assert.ok(!('absent_fields' in plain));
  assert.is(reader.container('c', { ...CONTAINER, capabilities: undefined }).capabilities, null);
  assert.equal(reader.container('c', { ...CONTAINER, absent_fields: ['user', 'capabilities'] })
    .absent_fields, ['user', 'capabilities']);
  assert.ok(!('absent_fields' in reader.container('c', { ...CONTAINER, absent_fields: [] })));
  refusedAt(() => reader.container('c', { ...CONTAINER, absent_fields: ['name'] }),
    'c.absent_fields[0]', 'must be one of no_new_privileges, user, capabilities, '
      + 'seccomp_profile_sha256');
  const wrong: ReadonlyArray<readonly [string, unknown, string, string]> = [
    ['command', 'sh', 'c.command', 'must be an array of strings'],
    ['env_rules', [1], 'c.env_rules[0]', 'must be an object'],
    ['layers', undefined, 'c.layers', 'must be an array of strings'],
    ['mounts', [1], 'c.mounts[0]', 'must be an object'],
    ['exec_processes', [1], 'c.exec_processes[0]', 'must be an object'],
    ['signals', ['9'], 'c.signals[0]', 'must be an integer'],
    ['working_dir', 1, 'c.working_dir', 'must be a string'],
    ['allow_elevated', 1, 'c.allow_elevated', 'must be a boolean'],
    ['allow_stdio_access', 1, 'c.allow_stdio_access', 'must be a boolean'],
    ['no_new_privileges', 1, 'c.no_new_privileges', 'must be a boolean'],
    ['user', 1, 'c.user', 'must be an object'],
    ['capabilities', 1, 'c.capabilities', 'must be an object'],
    ['seccomp_profile_sha256', 1, 'c.seccomp_profile_sha256', 'must be a string'],
  ];
  for (const [key, value, path, problem] of wrong) {
    refusedAt(() => reader.container('c', { ...CONTAINER, [key]: value }), path, problem);
  }
});

test('policy/shape-reader: external processes and fragment references are read', () => {
  const external = { command: ['ls'], env_rules: [], working_dir: '/', allow_stdio_access: true };
  assert.equal(reader.externalProcess('x', external), external);
  assert.equal(reader.externalProcess('x', { ...external, env_rules: undefined }), external);
  refusedAt(() => reader.externalProcess('x', { ...external, working_dir: 0 }), 'x.working_dir',
    'must be a string');
  refusedAt(() => reader.externalProcess('x', { ...external, allow_stdio_access: 0 }),
    'x.allow_stdio_access', 'must be a boolean');
  refusedAt(() => reader.externalProcess('x', { ...external, env_rules: [{}] }),
    'x.env_rules[0].strategy', 'must be a string');
  const fragment = { issuer: 'did:x', feed: 'f', minimum_svn: '1', includes: ['containers'] };
  assert.equal(reader.fragmentReference('f', fragment), fragment);
  assert.equal(reader.fragmentReference('f', { ...fragment, minimum_svn: 2 }).minimum_svn, 2);
  refusedAt(() => reader.fragmentReference('f', { ...fragment, issuer: 1 }), 'f.issuer',
    'must be a string');
  refusedAt(() => reader.fragmentReference('f', { ...fragment, feed: 1 }), 'f.feed',
    'must be a string');
  refusedAt(() => reader.fragmentReference('f', { ...fragment, minimum_svn: null }),
    'f.minimum_svn', 'must be a string or a number');
  refusedAt(() => reader.fragmentReference('f', { ...fragment, includes: 'containers' }),
    'f.includes', 'must be an array of strings');
});

test.run();
