/**
 * Goal: framework.rego's environment and process checks are modelled exactly: env_rule_ok,
 * envList_ok in both dialects, valid_envs_for_all (dropping, with the undecidable tie), the
 * `invalid env list` names, and command_ok, noNewPrivileges_ok, privileged_ok, seccomp_ok,
 * idName_ok and user_ok, including their undefined (absent) inputs.
 * Method: each expected verdict is worked out by hand from the Rego rule text (HEAD and v0.14.1,
 * spec (c)); dropping cases list the accepted subsets per candidate and pick the largest by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DIALECTS } from '../../models/policy/dialect.js';
import {
  envListOk, envRuleOk, invalidEnvNames, missingRequired, sameSortedList, validEnvsForAll,
} from '../../models/policy/match/env.js';
import {
  commandOk, hasField, idNameOk, noNewPrivilegesOk, privilegedOk, seccompOk, userOk,
} from '../../models/policy/match/process.js';
import type { ProcessSecurityInput } from '../../models/policy/input-shapes.js';
import { container, env } from './engine-support.js';

const SUITE = 'policy/match-env-process';
const HEAD = DIALECTS.head;
const OLD = DIALECTS['v0.14.1'];

test(`${SUITE}: a string rule is equality; an re2 rule is an anchored match`, () => {
  assert.ok(envRuleOk(env('A=1'), 'A=1'));
  assert.not.ok(envRuleOk(env('A=1'), 'A=10'));
  assert.not.ok(envRuleOk(env('A=.*'), 'A=1'), 'a string rule is not a pattern');
  assert.ok(envRuleOk(env('A=.*', 're2'), 'A=1'));
  assert.not.ok(envRuleOk(env('A=[0-9]', 're2'), 'A=10'), 'anchored at the end');
  assert.not.ok(envRuleOk(env('A=1', 're2'), 'XA=1'), 'anchored at the start');
  assert.not.ok(envRuleOk(env('(a)\\1', 're2'), 'aa'), 'a refused pattern matches nothing');
});

test(`${SUITE}: HEAD envList_ok: required rules need an env, every env needs a rule`, () => {
  const rules = [env('A=1'), env('B=.*', 're2', true)];
  assert.ok(envListOk(rules, ['B=2', 'A=1'], HEAD));
  assert.ok(envListOk(rules, ['B=2'], HEAD), 'a rule that is not required needs no env');
  assert.not.ok(envListOk(rules, ['A=1'], HEAD), 'the required B is missing');
  assert.not.ok(envListOk(rules, ['B=2', 'C=3'], HEAD), 'C matches no rule');
  assert.ok(envListOk([env('A=1')], [], HEAD), 'no env, no required rule');
  assert.ok(envListOk([], [], HEAD));
  assert.not.ok(envListOk([], ['A=1'], HEAD));
});

test(`${SUITE}: v0.14.1 envList_ok fails an empty env list against any rule`, () => {
  assert.not.ok(envListOk([env('A=1')], [], OLD));
  assert.ok(envListOk([], [], OLD));
  assert.ok(envListOk([env('A=1'), env('B=2')], ['A=1'], OLD));
  assert.not.ok(envListOk([env('A=1')], ['B=2'], OLD));
  assert.not.ok(envListOk([env('A=1', 'string', true)], ['B=2'], OLD));
});

test(`${SUITE}: missingRequired names a required rule no env meets, and only that`, () => {
  assert.not.ok(missingRequired([env('A=1'), env('B=2')], []));
  assert.ok(missingRequired([env('A=1'), env('B=2', 'string', true)], ['A=1']));
  assert.not.ok(missingRequired([env('B=2', 'string', true)], ['A=1', 'B=2']));
  assert.ok(missingRequired([env('B=2', 'string', true), env('C=3', 'string', true)], ['B=2']));
});

test(`${SUITE}: without dropping the env list is kept as is, repeats and order included`, () => {
  const list = ['B=2', 'A=1', 'B=2'];
  assert.is(validEnvsForAll([{ env_rules: [] }], list, false), list);
});

test(`${SUITE}: dropping keeps the largest accepted subset, sorted and unique`, () => {
  const small = { env_rules: [env('A=1')] };
  const large = { env_rules: [env('A=1'), env('B=.*', 're2')] };
  const list = ['Z=9', 'B=2', 'A=1', 'B=2'];
  assert.equal(validEnvsForAll([small, large], list, true), ['A=1', 'B=2']);
  assert.equal(validEnvsForAll([large, small], list, true), ['A=1', 'B=2']);
  assert.equal(validEnvsForAll([{ env_rules: [] }], list, true), []);
});

test(`${SUITE}: dropping with two different largest subsets is undecidable; equal ones agree`,
    () => {
  const a = { env_rules: [env('A=1')] };
  const b = { env_rules: [env('B=2')] };
  const list = ['A=1', 'B=2'];
  assert.is(validEnvsForAll([a, b], list, true), undefined);
  assert.equal(validEnvsForAll([a, { env_rules: [env('A=.', 're2')] }], list, true), ['A=1']);
  // A later, larger subset clears the tie; a later, smaller one changes nothing.
  const both = { env_rules: [env('A=1'), env('B=2')] };
  assert.equal(validEnvsForAll([a, b, both], list, true), ['A=1', 'B=2']);
  assert.equal(validEnvsForAll([a, { env_rules: [] }], list, true), ['A=1']);
});

test(`${SUITE}: sameSortedList compares length and every position`, () => {
  assert.ok(sameSortedList([], []));
  assert.ok(sameSortedList(['a', 'b'], ['a', 'b']));
  assert.not.ok(sameSortedList(['a'], ['a', 'b']));
  assert.not.ok(sameSortedList(['a', 'b'], ['a', 'c']));
  assert.not.ok(sameSortedList(['b', 'a'], ['a', 'b']));
});

test(`${SUITE}: the invalid env names are the text before the first =, repeats kept`, () => {
  const items = [{ env_rules: [env('A=1')] }, { env_rules: [env('B=.*', 're2')] }];
  assert.equal(invalidEnvNames(items, ['A=1', 'C=x=y', 'B=2', 'C=z', 'NOEQUALS']),
    ['C', 'C', 'NOEQUALS']);
  assert.equal(invalidEnvNames(items, ['A=1', 'B=']), []);
});

test(`${SUITE}: command_ok compares argv element by element with equal length`, () => {
  assert.ok(commandOk(['/bin/sh', '-c'], ['/bin/sh', '-c'], 'framework'));
  assert.not.ok(commandOk(['/bin/sh', '-c'], ['/bin/sh'], 'framework'));
  assert.not.ok(commandOk(['/bin/sh'], ['/bin/sh', '-c'], 'framework'));
  assert.not.ok(commandOk(['/bin/sh', '-c'], ['/bin/sh', '-x'], 'framework'));
  assert.not.ok(commandOk(['/bin/sh', '-c'], ['/bin/bash', '-c'], 'framework'));
  assert.ok(commandOk([], [], 'framework'));
});

test(`${SUITE}: a null command matches no argv, or only the empty one when so read`, () => {
  assert.not.ok(commandOk(null, [], 'framework'));
  assert.not.ok(commandOk(null, ['x'], 'framework'));
  assert.ok(commandOk(null, [], 'empty-argv'));
  assert.not.ok(commandOk(null, ['x'], 'empty-argv'));
});

test(`${SUITE}: a field the container text lacks reads as absent`, () => {
  assert.ok(hasField(container(), 'user'));
  assert.ok(hasField(container({ absent_fields: ['seccomp_profile_sha256'] }), 'user'));
  assert.not.ok(hasField(container({ absent_fields: ['seccomp_profile_sha256', 'user'] }),
    'user'));
});

test(`${SUITE}: noNewPrivileges_ok: demanded means the request sets it; else anything goes`, () => {
  const demands = container({ no_new_privileges: true });
  const relaxed = container({ no_new_privileges: false });
  assert.ok(noNewPrivilegesOk(demands, true, true));
  assert.not.ok(noNewPrivilegesOk(demands, false, true));
  assert.not.ok(noNewPrivilegesOk(demands, undefined, true));
  for (const requested of [true, false, undefined]) {
    assert.ok(noNewPrivilegesOk(relaxed, requested, true));
    assert.not.ok(noNewPrivilegesOk(relaxed, requested, false), 'not linux');
  }
  const lacking = container({ no_new_privileges: false, absent_fields: ['no_new_privileges'] });
  assert.not.ok(noNewPrivilegesOk(lacking, false, true));
});

test(`${SUITE}: privileged_ok: a privileged request needs allow_elevated`, () => {
  assert.ok(privilegedOk(true, true, true));
  assert.not.ok(privilegedOk(false, true, true));
  for (const allow of [true, false]) {
    assert.ok(privilegedOk(allow, false, true));
    assert.ok(privilegedOk(allow, undefined, true));
    assert.not.ok(privilegedOk(allow, false, false), 'not linux');
  }
});

test(`${SUITE}: seccomp_ok: the request's profile hash equals the policy's`, () => {
  const c = container({ seccomp_profile_sha256: 'ab' });
  assert.ok(seccompOk(c, 'ab', true));
  assert.not.ok(seccompOk(c, 'cd', true));
  assert.not.ok(seccompOk(c, undefined, true));
  assert.not.ok(seccompOk(c, 'ab', false));
  assert.ok(seccompOk(container({ seccomp_profile_sha256: '' }), '', true));
  assert.not.ok(seccompOk(container({ seccomp_profile_sha256: '',
    absent_fields: ['seccomp_profile_sha256'] }), '', true));
});

test(`${SUITE}: idName_ok per strategy, and undefined for an undefined value`, () => {
  const root = { id: '0', name: 'root' };
  assert.ok(idNameOk({ strategy: 'any', pattern: '' }, root, true));
  assert.not.ok(idNameOk({ strategy: 'any', pattern: '' }, undefined, true));
  assert.ok(idNameOk({ strategy: 'id', pattern: '0' }, root, true));
  assert.not.ok(idNameOk({ strategy: 'id', pattern: 'root' }, root, true));
  assert.ok(idNameOk({ strategy: 'name', pattern: 'root' }, root, true));
  assert.not.ok(idNameOk({ strategy: 'name', pattern: '0' }, root, true));
  assert.not.ok(idNameOk({ strategy: 'name', pattern: 'r.*' }, root, true), 'a name is no pattern');
  assert.ok(idNameOk({ strategy: 're2', pattern: 'r.*' }, root, true));
  assert.not.ok(idNameOk({ strategy: 're2', pattern: 'oo' }, root, true), 'anchored');
  assert.ok(idNameOk({ strategy: 're2', pattern: 'oo' }, root, false), 'unanchored');
  assert.not.ok(idNameOk({ strategy: 're2', pattern: '.*' }, { id: '0', name: undefined },
    false));
});

function request(overrides: Partial<ProcessSecurityInput> = {}): ProcessSecurityInput {
  return { noNewPrivileges: false, user: { id: '0', name: 'root' },
    groups: [{ id: '0', name: 'root' }], umask: '0022', capabilities: undefined, ...overrides };
}

test(`${SUITE}: user_ok checks umask, user and every group`, () => {
  const c = container({ user: { user_idname: { pattern: 'root', strategy: 'name' },
    group_idnames: [{ pattern: '0', strategy: 'id' }, { pattern: 'wheel', strategy: 'name' }],
    umask: '0022' } });
  assert.ok(userOk(c, request(), true, true));
  assert.ok(userOk(c, request({ groups: [{ id: '10', name: 'wheel' }, { id: '0', name: 'x' }] }),
    true, true));
  assert.ok(userOk(c, request({ groups: [] }), true, true), 'no groups to check');
  assert.not.ok(userOk(c, request(), false, true), 'not linux');
  assert.not.ok(userOk(c, request({ umask: '0077' }), true, true));
  assert.not.ok(userOk(c, request({ umask: undefined }), true, true));
  assert.not.ok(userOk(c, request({ user: { id: '0', name: 'admin' } }), true, true));
  assert.not.ok(userOk(c, request({ groups: [{ id: '0', name: 'root' },
    { id: '5', name: 'tty' }] }), true, true), 'one group matches no rule');
  assert.not.ok(userOk(container({ ...c, absent_fields: ['user'] }), request(), true, true));
});

test(`${SUITE}: user_ok passes the dialect's anchoring to re2 names`, () => {
  const c = container({ user: { user_idname: { pattern: 'oo', strategy: 're2' },
    group_idnames: [], umask: '0022' } });
  assert.not.ok(userOk(c, request({ groups: [] }), true, true));
  assert.ok(userOk(c, request({ groups: [] }), true, false));
});

test.run();
