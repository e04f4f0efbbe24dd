/**
 * Goal: every member of a legacy JSON policy that has the wrong JSON type is refused with the
 * path of that member in the message (the CLI prints it; the user finds the member by it), at the
 * member's own line:column; the exported importer refuses, on its own, a document that the
 * loader would not have sent it; a long bad layer is quoted cut to 80 characters.
 * Method: small hand-written legacy documents (module header of import-legacy-json.ts), one bad
 * member each, written as 4242 where a number is the wrong type so the position is that of the
 * one "4242" in the text; expected messages written out by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { importLegacyJsonPolicy } from '../../models/policy/import-legacy-json.js';
import { parseJsonText } from '../../models/policy/policy-syntax.js';
import { failure, positionOf } from '../support/failure.js';

const L1 = '4c'.repeat(32);

const map = (items: readonly string[]): string => `{"length": ${items.length}, "elements": {`
  + items.map((item, i) => `"${i}": ${item}`).join(', ') + '}}';
const strings = (items: readonly string[]): string => map(items.map((s) => JSON.stringify(s)));

/** One hcsshim-shape container with `members` replacing (or, when '', leaving out) defaults. */
function policy(members: Readonly<Record<string, string>>): string {
  const all: Record<string, string> = { command: strings(['/bin/app']), env_rules: map([]),
    layers: strings([L1]), working_dir: '"/"', ...members };
  const container = '{' + Object.entries(all).filter(([, v]) => v !== '')
    .map(([k, v]) => `"${k}": ${v}`).join(', ') + '}';
  return `{"allow_all": false, "containers": ${map([container])}}`;
}

/** `run` fails with POLICY_PARSE `message` at the first `marker` of `text`. */
function refuses(run: () => unknown, text: string, marker: string, message: string): void {
  const error = failure(run);
  const { line, column } = positionOf(text, marker);
  assert.is(error.message, `POLICY_PARSE: ${line}:${column}: ${message}`);
  assert.is(error.code, 'POLICY_PARSE');
  assert.equal([error.detail['line'], error.detail['column']], [line, column]);
}

function loadFails(text: string, marker: string, message: string): void {
  refuses(() => importSecurityPolicy(new TextEncoder().encode(text)), text, marker, message);
}

function importerFails(text: string, marker: string, message: string): void {
  refuses(() => importLegacyJsonPolicy(parseJsonText(text)), text, marker, message);
}

const C = 'containers.elements.0';

test('policy/legacy-types: the importer alone refuses a root, allow_all or containers the '
  + 'loader screens out', () => {
  importerFails('[{"allow_all": true}]', '[', '(policy) must be an object, found an array');
  importerFails('{"containers": {"num": 0}}', '{', '(policy): missing field "allow_all"');
  importerFails('{"allow_all": false, "containers": []}', '[]',
    'containers must be an object, found an array');
  assert.is(importLegacyJsonPolicy(parseJsonText('{"allow_all": true}')).allow_all, true);
});

test('policy/legacy-types: a bad elements map or num of the container list names it', () => {
  loadFails('{"allow_all": false, "containers": {"length": 0, "elements": []}}', '[]',
    'containers.elements must be an object, found an array');
  loadFails('{"allow_all": false, "containers": {"num": -1}}', '-1',
    'containers.num must be a non-negative integer, found number -1');
});

test('policy/legacy-types: each hcsshim container member of the wrong type is named', () => {
  loadFails(policy({ env_rules: '[]' }), '[]', `${C}.env_rules must be an object, found an array`);
  loadFails(policy({ env_rules: '{"length": 0}' }), '{"length": 0}',
    `${C}.env_rules: missing field "elements"`);
  loadFails(policy({ layers: '[]' }), '[]', `${C}.layers must be an object, found an array`);
  loadFails(policy({ working_dir: '4242' }), '4242',
    `${C}.working_dir must be a string, found number 4242`);
  loadFails(policy({ env_rules: map(['{"strategy": "string", "rule": 4242}']) }), '4242',
    `${C}.env_rules.elements.0.rule must be a string, found number 4242`);
});

test('policy/legacy-types: each ExecProcesses item of the wrong shape is named by index', () => {
  loadFails(policy({ ExecProcesses: '[{"command": ["sh"]}, 4242]' }), '4242',
    `${C}.ExecProcesses[1] must be an object, found number 4242`);
  loadFails(policy({ ExecProcesses: '[{}]' }), '{}]',
    `${C}.ExecProcesses[0]: missing field "command"`);
  loadFails(policy({ ExecProcesses: '[{"command": 4242}]' }), '4242',
    `${C}.ExecProcesses[0].command must be an array, found number 4242`);
});

test('policy/legacy-types: each mount member of the wrong type is named', () => {
  const options = '"options": {"length": 0, "elements": {}}';
  const mount = (members: string): string => policy({ mounts: map([`{${members}}`]) });
  const M = `${C}.mounts.elements.0`;
  loadFails(mount(`"source": "s", "destination": 4242, "type": "bind", ${options}`), '4242',
    `${M}.destination must be a string, found number 4242`);
  loadFails(mount(`"source": 4242, "destination": "/d", "type": "bind", ${options}`), '4242',
    `${M}.source must be a string, found number 4242`);
  loadFails(mount(`"source": "s", "destination": "/d", "type": 4242, ${options}`), '4242',
    `${M}.type must be a string, found number 4242`);
});

test('policy/legacy-types: sidecar layers must be an object; a long bad layer is cut to 80',
    () => {
  loadFails('{"allow_all": false, "containers": {"num": 1, "c": {"command": "a", "layers": []}}}',
    '[]', 'containers.c.layers must be an object, found an array');
  const long = '0123456789'.repeat(10);
  loadFails(policy({ layers: strings([long]) }), `{"length": 1, "elements": {"0": "${long}`,
    `${C}.layers: "${long.slice(0, 80)}" is not a 64-hex dm-verity root hash`);
});

test.run();
