/**
 * Goal: bad policy input gives a typed error with line:column and one clear line, exit code 30
 * from the CLI, never a stack trace, and nothing is silently dropped.
 * Method: hand-made inputs whose error position is known by construction (counted in the input
 * text below); the CLI runs as a child process so exit codes and stderr are the real ones.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimError } from '../../sim/kernel/errors.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { spawnCli } from '../support/cli.js';

const DIR = mkdtempSync(join(tmpdir(), 'parma-sim-policy-errors-'));

function caught(input: string | Uint8Array): SimError {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  try {
    loadSecurityPolicy(bytes);
  } catch (error) {
    if (error instanceof SimError) return error;
    throw error;
  }
  throw new Error('expected a SimError');
}

const HEAD = 'package policy\n\napi_version := "0.10.0"\nframework_version := "0.2.3"\n';
const CONTAINER = '{"command": ["/pause"], "env_rules": [], "layers": ["' + 'ab'.repeat(32)
  + '"], "mounts": [], ' +
  '"exec_processes": [], "signals": [], "working_dir": "/", "allow_elevated": false, '
    + '"allow_stdio_access": true, ' +
  '"no_new_privileges": false, "seccomp_profile_sha256": "", "capabilities": null, ' +
  '"user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [], "umask": '
    + '"0022"}}';

type Case = Readonly<{ name: string; input: string | Uint8Array; code: string; line: number;
  column: number; says: string }>;

/**
 * The 1-based line:column of `marker` (plus `offset` characters) in `input`: the expected position.
 */
function at(input: string, marker: string, offset = 0): { line: number; column: number } {
  const index = marker === '<end>' ? input.length : input.indexOf(marker);
  if (index < 0) throw new Error(`marker ${marker} not in the input`);
  const before = input.slice(0, index + offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

function textCase(name: string, input: string, code: string, marker: string, offset: number,
    says: string): Case {
  return { name, input, code, ...at(input, marker, offset), says };
}

const withContainer = (edit: (c: string) => string): string => HEAD + 'containers := ['
  + edit(CONTAINER) + ']\n';

const CASES: readonly Case[] = [
  { name: 'garbage bytes (not UTF-8)', input: new Uint8Array([0x70, 0x61, 0x0a, 0xff, 0xfe, 0x00]),
    code: 'POLICY_PARSE', line: 2, column: 1, says: 'not UTF-8' },
  textCase('text that is not a policy', 'hello world\n', 'POLICY_PARSE', 'hello', 0,
    "must start with 'package"),
  textCase('truncated JSON', '{"allow_all": true, "containers": {"length": 0,', 'POLICY_PARSE',
    '<end>', 0, 'is not closed'),
  textCase('truncated Rego data', HEAD + 'containers := [\n  {"command": ["a"]', 'POLICY_PARSE',
    '<end>', 0, 'found the end of the input'),
  textCase('an unknown Rego construct (a rule body)', HEAD + 'allow {\n  true\n}\n', 'POLICY_PARSE',
    'allow {', 6, 'unsupported Rego construct'),
  textCase('an operator expression', HEAD + 'allow_dump_stacks := true || false\n', 'POLICY_PARSE',
    '||', 0, "unexpected character '|'"),
  textCase('a statement continued on the same line', HEAD + 'allow_dump_stacks := true false\n',
    'POLICY_PARSE', 'false', 0, 'after a complete statement'),
  textCase('an unknown name', HEAD + 'allow_everything := true\n', 'POLICY_PARSE',
    'allow_everything', 0, "unknown policy name 'allow_everything'"),
  textCase('a wrong type for a flag', HEAD + 'allow_dump_stacks := "yes"\n', 'POLICY_PARSE',
    '"yes"', 0, 'allow_dump_stacks must be true or false'),
  textCase('a wrong type inside a container', withContainer((c) =>
    c.replace('"working_dir": "/"', '"working_dir": 7')), 'POLICY_PARSE', '"working_dir": 7', 15,
    'containers[0].working_dir must be a string'),
  textCase('an unknown container field', withContainer((c) =>
    c.replace('{"command"', '{"comand": [], "command"')), 'POLICY_PARSE', '"comand"', 0,
    'unknown field "comand"'),
  textCase('a missing container field', withContainer((c) => c.replace('"working_dir": "/", ', '')),
    'POLICY_PARSE', '{"command"', 0, 'missing field "working_dir"'),
  textCase('a layer that is not a root hash', withContainer((c) =>
    c.replace('ab'.repeat(32), 'sha256:xyz')), 'POLICY_PARSE', '"sha256:xyz"', 0,
    'not a 64-hex dm-verity root hash'),
  textCase('a bad env strategy', withContainer((c) =>
    c.replace('"env_rules": []',
    '"env_rules": [{"pattern": "A=1", "strategy": "glob", "required": false}]')), 'POLICY_PARSE',
    '"glob"', 0, '"glob" is not one of'),
  textCase('a name defined twice', HEAD + 'allow_dump_stacks := true\nallow_dump_stacks := false\n',
    'POLICY_PARSE', 'allow_dump_stacks := false', 0, 'defined twice (first at 5:1)'),
  textCase('a bad api_version', 'package policy\napi_version := "ten"\n', 'POLICY_PARSE', '"ten"',
    0, 'not a major.minor.patch version'),
  textCase('a rule bound to another framework rule', HEAD
    + 'mount_device := data.framework.create_container\n', 'POLICY_UNSUPPORTED', 'data.framework',
    0, 'different framework rule'),
  textCase('a rule result that reads input', HEAD
    + 'exec_external := {"allowed": true, "env_list": input.envList}\n', 'POLICY_UNSUPPORTED',
    'input.envList', 0, 'reference input.envList'),
  textCase('name/value env rules (fw '
    + '0.5.0)', withContainer((c) => c.replace('"env_rules": []', '"env_rules": [{"name": "A", '
      + '"name_strategy": "string", "value": "1", "value_strategy": "string"}]')),
        'POLICY_UNSUPPORTED', '{"name"', 0, 'name/value env rules'),
  textCase('an unsupported import', 'package policy\nimport data.other\n', 'POLICY_UNSUPPORTED',
    'import', 0, 'import data.other'),
  textCase('JSON with a trailing comma',
    '{"allow_all": true, "containers": {"length": 0, "elements": null},}', 'POLICY_PARSE', '},}', 1,
    'trailing comma'),
  textCase('legacy JSON whose length disagrees',
    '{"allow_all": false, "containers": {"length": 2, "elements": {}}}', 'POLICY_PARSE', '{}}', 0,
    'holds 0 entries but length is 2'),
  textCase('a JSON array', '[{"name": "mount_device", "input": {}}]', 'POLICY_PARSE', '[', 0,
    'not a policy'),
];

for (const c of CASES) {
  test(`policy/import errors: ${c.name} → ${c.code} at ${c.line}:${c.column}`, () => {
    const error = caught(c.input);
    assert.is(error.code, c.code, error.message);
    assert.is(error.detail['line'], c.line, error.message);
    assert.is(error.detail['column'], c.column, error.message);
    assert.ok(error.message.includes(c.says), error.message);
  });
}

for (const c of CASES.filter((_, i) => i % 3 === 0)) {
  test(`policy/import errors: CLI 'policy show' on ${c.name} exits 30 with one line `
      + `file:${c.line}:${c.column}, no stack`, () => {
    const file = join(DIR, `case-${CASES.indexOf(c)}.rego`);
    writeFileSync(file, c.input);
    const result = spawnCli(['policy', 'show', file]);
    assert.is(result.code, 30);
    assert.is(result.stdout, '');
    assert.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.ok(result.stderr.startsWith(`parma-sim: ${c.code}: ${file}:${c.line}:${c.column}: `),
      result.stderr);
    assert.not.match(result.stderr, /\n\s+at /);
  });
}

test.run();
