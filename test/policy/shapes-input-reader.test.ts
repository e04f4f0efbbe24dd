/**
 * Goal: the enforcement-point input reader (models/policy/input-shapes.ts) treats requests as
 * hostile data: every wrong type is POLICY_BAD_INPUT naming the rule and the field, JSON null
 * reads as absent, absent optional fields are recorded, and the create/exec inputs have the
 * documented shape.
 * Method: hand-written inputs; expected values and messages written out by hand; the GCS
 * constants compared with spec policy.md (c) (mount_device, rw_mount_device, plan9_mount).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  GCS_MOUNT_PATH_REGEX, GCS_PLAN9_MOUNT_PATH_PREFIX, GCS_PLAN9_ROOT_PREFIX,
  GCS_RW_MOUNT_PATH_REGEX, InputReader, bad, capabilitySets, parseCreateContainerInput,
  parseExecInContainerInput, stringArray,
} from '../../models/policy/input-shapes.js';
import { failure } from '../support/failure.js';

function refused(run: () => unknown, rule: string, field: string, problem: string): void {
  const error = failure(run);
  assert.is(error.code, 'POLICY_BAD_INPUT');
  assert.is(error.message, `POLICY_BAD_INPUT: ${rule}: input.${field} ${problem}`);
  assert.equal(error.detail, { rule, field });
}

test('policy/input-shapes: the GCS constants are those of spec policy.md (c)', () => {
  assert.is(GCS_MOUNT_PATH_REGEX, '/run/mounts/scsi/m[0-9]+');
  assert.is(GCS_RW_MOUNT_PATH_REGEX, '/run/gcs/c/[0-9a-fA-F]{64}');
  assert.is(GCS_PLAN9_ROOT_PREFIX, '/run/gcs/c');
  assert.is(GCS_PLAN9_MOUNT_PATH_PREFIX, '/mounts/m[0-9]+');
});

test('policy/input-shapes: an input that is not a JSON object is refused', () => {
  for (const input of [null, undefined, [], 'x', 3, true]) {
    refused(() => new InputReader('r', input), 'r', 'input', 'must be a JSON object');
  }
  assert.is(new InputReader('r', {}).rule, 'r');
});

test('policy/input-shapes: strings are required or optional; null and inherited are absent', () => {
  const r = new InputReader('mount_device', { a: 'x', n: null, b: 1,
    ...Object.fromEntries([['e', '']]) });
  assert.is(r.str('a'), 'x');
  assert.is(r.optStr('e'), '');
  assert.is(r.optStr('n'), undefined);
  assert.is(r.optStr('missing'), undefined);
  assert.equal(r.absent, ['n', 'missing']);
  refused(() => r.str('n'), 'mount_device', 'n', 'is required (a string)');
  refused(() => r.optStr('b'), 'mount_device', 'b', 'must be a string');
  const inherited = new InputReader('r', Object.create({ target: 't' }) as object);
  assert.is(inherited.optStr('target'), undefined);
  assert.is(inherited.value('target'), undefined);
});

test('policy/input-shapes: booleans, integers and string-or-number fields are typed', () => {
  const r = new InputReader('rule', { t: true, f: false, s: 'true', i: 7, z: 0, x: 1.5,
    big: 2 ** 53, str: 'v', num: 4, o: {} });
  assert.is(r.bool('t'), true);
  assert.is(r.optBool('f'), false);
  assert.is(r.optBool('none'), undefined);
  assert.equal(r.absent, ['none']);
  refused(() => r.bool('none'), 'rule', 'none', 'is required (a boolean)');
  refused(() => r.optBool('s'), 'rule', 's', 'must be a boolean');
  assert.is(r.int('i'), 7);
  assert.is(r.int('z'), 0);
  for (const field of ['x', 'big', 's', 'none']) {
    refused(() => r.int(field), 'rule', field, 'must be an integer');
  }
  assert.is(r.strOrNum('str'), 'v');
  assert.is(r.strOrNum('num'), 4);
  assert.is(r.strOrNum('none'), undefined);
  refused(() => r.strOrNum('t'), 'rule', 't', 'must be a string or a number');
  refused(() => r.strOrNum('o'), 'rule', 'o', 'must be a string or a number');
  assert.equal(r.absent, ['none', 'none']);   // strOrNum does not record absence
  assert.equal(r.value('o'), {});
});

test('policy/input-shapes: string lists and lists are checked item by item', () => {
  const r = new InputReader('exec', { l: ['a', 'b'], e: [], bad: ['a', 2], s: 'a', any: [1, 'x'],
    n: null });
  assert.equal(r.strList('l'), ['a', 'b']);
  assert.equal(r.optStrList('e'), []);
  assert.is(r.optStrList('n'), undefined);
  refused(() => r.strList('n'), 'exec', 'n', 'is required (an array of strings)');
  refused(() => r.strList('bad'), 'exec', 'bad[1]', 'must be a string');
  refused(() => r.strList('s'), 'exec', 's', 'must be an array of strings');
  assert.equal(r.list('any'), [1, 'x']);
  assert.equal(r.list('gone'), []);
  assert.is(r.optList('gone'), undefined);
  refused(() => r.list('s'), 'exec', 's', 'must be an array');
  assert.equal(r.absent, ['n', 'n', 'gone', 'gone']);
});

test('policy/input-shapes: user and group names are objects of optional strings', () => {
  const r = new InputReader('create_container', {});
  assert.equal(r.idName('user', { id: '0', name: 'root' }), { id: '0', name: 'root' });
  assert.equal(r.idName('user', { id: null }), { id: undefined, name: undefined });
  for (const value of [null, [], 'root', 1]) {
    refused(() => r.idName('user', value), 'create_container', 'user',
      'must be an object {id, name}');
  }
  refused(() => r.idName('groups[1]', { id: 0 }), 'create_container', 'groups[1].id',
    'must be a string');
  refused(() => r.idName('user', { id: '0', name: 5 }), 'create_container', 'user.name',
    'must be a string');
});

test('policy/input-shapes: process security reads user, groups, umask, capabilities', () => {
  const full = new InputReader('exec_in_container', { noNewPrivileges: true,
    user: { id: '1', name: 'u' }, groups: [{ id: '2', name: 'g' }], umask: '0022',
    capabilities: { bounding: ['CAP_A'], ambient: null } });
  assert.equal(full.processSecurity(), { noNewPrivileges: true, user: { id: '1', name: 'u' },
    groups: [{ id: '2', name: 'g' }], umask: '0022',
    capabilities: { bounding: ['CAP_A'], effective: [], inheritable: [], permitted: [],
      ambient: [] } });
  assert.equal(full.absent, []);
  const empty = new InputReader('exec_in_container', {});
  assert.equal(empty.processSecurity(), { noNewPrivileges: undefined, user: undefined,
    groups: [], umask: undefined, capabilities: undefined });
  assert.equal(empty.absent, ['user', 'groups', 'noNewPrivileges', 'umask', 'capabilities']);
  const nulls = new InputReader('exec_in_container', { capabilities: null, user: null });
  assert.is(nulls.capabilities(), null);
  assert.equal(nulls.absent, []);
  refused(() => new InputReader('x', { groups: [1] }).processSecurity(), 'x', 'groups[0]',
    'must be an object {id, name}');
});

test('policy/input-shapes: capability sets are an object of string lists', () => {
  refused(() => capabilitySets('r', 'capabilities', []), 'r', 'capabilities',
    'must be an object of five capability lists');
  refused(() => capabilitySets('r', 'capabilities', 'all'), 'r', 'capabilities',
    'must be an object of five capability lists');
  refused(() => capabilitySets('r', 'capabilities', { permitted: [1] }), 'r',
    'capabilities.permitted[0]', 'must be a string');
  assert.equal(capabilitySets('r', 'c', {}), { bounding: [], effective: [], inheritable: [],
    permitted: [], ambient: [] });
  refused(() => new InputReader('r', { capabilities: 1 }).capabilities(), 'r', 'capabilities',
    'must be an object of five capability lists');
});

test('policy/input-shapes: requested mounts are objects of three strings and a string list', () => {
  const mount = { destination: '/d', source: '/s', type: 'bind', options: ['ro'] };
  assert.equal(new InputReader('c', { mounts: [mount] }).mounts(), [mount]);
  assert.equal(new InputReader('c', {}).mounts(), []);
  refused(() => new InputReader('c', { mounts: [null] }).mounts(), 'c', 'mounts[0]',
    'must be an object');
  refused(() => new InputReader('c', { mounts: [mount, []] }).mounts(), 'c', 'mounts[1]',
    'must be an object');
  for (const key of ['destination', 'source', 'type']) {
    refused(() => new InputReader('c', { mounts: [{ ...mount, [key]: 1 }] }).mounts(), 'c',
      `mounts[0].${key}`, 'must be a string');
  }
  refused(() => new InputReader('c', { mounts: [{ ...mount, options: 'ro' }] }).mounts(), 'c',
    'mounts[0].options', 'must be an array of strings');
});

test('policy/input-shapes: stringArray and bad name the field as input.<field>', () => {
  assert.equal(stringArray('r', 'f', ['a']), ['a']);
  refused(() => stringArray('r', 'f', ['a', 'b', null]), 'r', 'f[2]', 'must be a string');
  const error = bad('rule', 'field', 'is odd');
  assert.is(error.message, 'POLICY_BAD_INPUT: rule: input.field is odd');
  assert.equal(error.detail, { rule: 'rule', field: 'field' });
});

test('policy/input-shapes: a create_container input has the documented shape and absences', () => {
  const { value, absent } = parseCreateContainerInput('create_container', {
    containerID: 'c1', argList: ['/app'], envList: ['A=1'], workingDir: '/',
    sandboxDir: '/sb', mounts: [], devices: [], privileged: false,
    seccompProfileSHA256: '', isSandboxContainer: true, noNewPrivileges: false,
    user: { id: '0', name: 'root' }, groups: [], umask: '0022', capabilities: null,
  });
  assert.equal(value, { containerID: 'c1', argList: ['/app'], envList: ['A=1'], workingDir: '/',
    sandboxDir: '/sb', hugePagesDir: undefined, mounts: [], devices: [], privileged: false,
    seccompProfileSHA256: '', isSandboxContainer: true, noNewPrivileges: false,
    user: { id: '0', name: 'root' }, groups: [], umask: '0022', capabilities: null });
  assert.equal(absent, ['hugePagesDir']);
  const bare = parseCreateContainerInput('create_container', { containerID: 'c', argList: [],
    envList: [], workingDir: '/' });
  assert.is(bare.value.isSandboxContainer, false);
  assert.equal(bare.absent, ['sandboxDir', 'hugePagesDir', 'mounts', 'devices', 'privileged',
    'seccompProfileSHA256', 'isSandboxContainer', 'user', 'groups', 'noNewPrivileges', 'umask',
    'capabilities']);
  refused(() => parseCreateContainerInput('create_container', { argList: [] }),
    'create_container', 'containerID', 'is required (a string)');
});

test('policy/input-shapes: an exec_in_container input has the documented shape', () => {
  const { value, absent } = parseExecInContainerInput('exec_in_container', { containerID: 'c',
    argList: ['ls'], envList: [], workingDir: '/w', umask: '0022' });
  assert.equal(value, { containerID: 'c', argList: ['ls'], envList: [], workingDir: '/w',
    noNewPrivileges: undefined, user: undefined, groups: [], umask: '0022',
    capabilities: undefined });
  assert.equal(absent, ['user', 'groups', 'noNewPrivileges', 'capabilities']);
  refused(() => parseExecInContainerInput('exec_in_container', { containerID: 'c', argList: [],
    envList: [] }), 'exec_in_container', 'workingDir', 'is required (a string)');
});

test.run();
