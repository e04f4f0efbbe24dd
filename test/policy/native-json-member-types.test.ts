/**
 * Goal: every member of a native JSON policy (`policy show` output) that has the wrong JSON type
 * is refused with the path of that member in the message, at the member's line:column; the
 * exported importer refuses a root that is not an object on its own.
 * Method: a native document written out by hand, one member replaced by 4242 (or another wrong
 * type) at a time, so the position is that of the one "4242" in the text; expected messages
 * written out by hand from policy-fields' wording ("<path> must be <type>, found <value>").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { importNativeJsonPolicy } from '../../models/policy/import-native-json.js';
import { parseJsonText } from '../../models/policy/policy-syntax.js';
import { failure, positionOf } from '../support/failure.js';

const CONTAINER: Readonly<Record<string, string>> = {
  id: '"img"', name: '"web"', command: '["/app"]', env_rules: '[]',
  layers: `["${'5d'.repeat(32)}"]`, mounts: '[]', exec_processes: '[]', signals: '[]',
  working_dir: '"/"', allow_elevated: 'false', allow_stdio_access: 'true',
  no_new_privileges: 'false', user: '{"user_idname": {"pattern": "", "strategy": "any"}, '
    + '"group_idnames": [], "umask": "0022"}', capabilities: 'null', seccomp_profile_sha256: '""',
};

const FLAGS = '{"allow_properties_access": true, "allow_dump_stacks": true, '
  + '"allow_runtime_logging": true, "allow_environment_variable_dropping": false, '
  + '"allow_unencrypted_scratch": true, "allow_capability_dropping": false, '
  + '"allow_host_network": false}';

const object = (members: Readonly<Record<string, string>>): string => '{' + Object.entries(members)
  .map(([k, v]) => `"${k}": ${v}`).join(', ') + '}';

function doc(edits: Readonly<Record<string, string>> = {},
    container: Readonly<Record<string, string>> = {}): string {
  return object({ format: '"native-json"', api_version: '"0.10.0"', framework_version: '"0.2.3"',
    containers: `[${object({ ...CONTAINER, ...container })}]`, external_processes: '[]',
    fragments: '[]', flags: FLAGS, rules: '{"mount_device": {"kind": "framework"}}',
    allow_all: 'false', package_name: '"policy"', svn: 'null', notes: '[]',
    reason_errors: 'true', ...edits });
}

function loadFails(text: string, message: string, marker = '4242'): void {
  const error = failure(() => importSecurityPolicy(new TextEncoder().encode(text)));
  const { line, column } = positionOf(text, marker);
  assert.is(error.message, `POLICY_PARSE: ${line}:${column}: ${message}`);
  assert.is(error.code, 'POLICY_PARSE');
  assert.equal([error.detail['line'], error.detail['column']], [line, column]);
}

test('policy/native-types: the document written here loads (the edits below are the faults)',
    () => {
  const policy = importSecurityPolicy(new TextEncoder().encode(doc()));
  assert.is(policy.format, 'native-json');
  assert.equal(policy.containers.map((c) => [c.name, c.command]), [['web', ['/app']]]);
});

test('policy/native-types: the importer alone refuses a root that is not an object', () => {
  const error = failure(() => importNativeJsonPolicy(parseJsonText('["format"]')));
  assert.is(error.message, 'POLICY_PARSE: 1:1: (policy) must be an object, found an array');
  assert.equal([error.detail['line'], error.detail['column']], [1, 1]);
});

test('policy/native-types: each top-level member of the wrong type is named', () => {
  loadFails(doc({ framework_version: '4242' }),
    'framework_version must be a string, found number 4242');
  loadFails(doc({ containers: '4242' }), 'containers must be an array, found number 4242');
  loadFails(doc({ external_processes: '4242' }),
    'external_processes must be an array, found number 4242');
  loadFails(doc({ fragments: '4242' }), 'fragments must be an array, found number 4242');
});

test('policy/native-types: each container member of the wrong type is named by index', () => {
  const fails = (key: string, value: string, says: string): void =>
    loadFails(doc({}, { [key]: value }), `containers[0].${key} must be ${says}`);
  fails('absent_fields', '4242', 'an array, found number 4242');
  fails('command', '4242', 'an array, found number 4242');
  fails('env_rules', '4242', 'an array, found number 4242');
  fails('mounts', '4242', 'an array, found number 4242');
  fails('exec_processes', '4242', 'an array, found number 4242');
  fails('user', '4242', 'an object, found number 4242');
});

test.run();
