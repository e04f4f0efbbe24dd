/**
 * Goal: a policy whose RE2 patterns RE2 itself would reject (backreferences, lookaround) is
 * refused when it is imported, with POLICY_BAD_REGEX and the place the pattern is written, not
 * accepted and then failing at the first request that reaches the rule; valid RE2 (including the
 * `(?i)` that real policies use) imports.
 * Method: one small Rego policy per pattern site (env rule, user rule, group rule, sandbox mount
 * source), through the library and through `parma-sim policy show` as a process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimError } from '../../sim/kernel/errors.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { spawnCli } from '../support/cli.js';

const SUITE = 'policy/import-regex';
const USER_ANY = '{"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [], '
  + '"umask": "0022"}';

type Sites = Readonly<{ env?: string; user?: string; mountSource?: string }>;

function policyWith(fields: Sites): string {
  const env = fields.env === undefined ? '[]'
    : `[{"pattern": ${JSON.stringify(fields.env)}, "strategy": "re2", "required": false}]`;
  const mounts = fields.mountSource === undefined ? '[]'
    : '[{"destination": "/data", "options": ["rbind"], '
      + `"source": ${JSON.stringify(fields.mountSource)}, "type": "bind"}]`;
  return 'package policy\n\napi_version := "0.10.0"\nframework_version := "0.2.3"\n'
    + 'containers := [{"command": ["/app"], "env_rules": ' + env + ', "layers": ["'
    + 'ab'.repeat(32) + '"], "mounts": ' + mounts + ', "exec_processes": [], "signals": [], '
    + '"working_dir": "/", "allow_elevated": false, "allow_stdio_access": true, '
    + '"no_new_privileges": false, "seccomp_profile_sha256": "", "capabilities": null, '
    + `"user": ${fields.user ?? USER_ANY}}]\n`;
}

function refusal(text: string): SimError {
  try {
    loadSecurityPolicy(new TextEncoder().encode(text));
  } catch (error) {
    if (error instanceof SimError) return error;
    throw error;
  }
  throw new Error('expected the policy to be refused');
}

const REJECTED: readonly (readonly [string, Sites, string])[] = [
  ['an env rule with a backreference', { env: '(A)=\\1' }, 'env_rules[0].pattern'],
  ['an env rule with a lookahead', { env: 'A=(?=x).*' }, 'env_rules[0].pattern'],
  ['a user rule with a lookbehind', {
    user: '{"user_idname": {"pattern": "(?<=a)b", "strategy": "re2"}, "group_idnames": [], '
      + '"umask": "0022"}',
  }, 'user.user_idname.pattern'],
  ['a group rule with a backreference', {
    user: '{"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": '
      + '[{"pattern": "(g)\\\\1", "strategy": "re2"}], "umask": "0022"}',
  }, 'user.group_idnames[0].pattern'],
  ['a sandbox:// mount source with a lookahead', {
    mountSource: 'sandbox:///tmp/atlas/(?!secret).+',
  }, 'mounts[0].source'],
];

for (const [name, fields, where] of REJECTED) {
  test(`${SUITE}: ${name} is POLICY_BAD_REGEX naming ${where} with line:column`, () => {
    const error = refusal(policyWith(fields));
    assert.is(error.code, 'POLICY_BAD_REGEX');
    assert.match(error.message, where);
    assert.match(error.message, /^POLICY_BAD_REGEX: 5:\d+: /);   // line 5: `containers := [...]`
  });
}

test(`${SUITE}: RE2 as real policies write it ((?i), classes, alternation) imports`, () => {
  const policy = loadSecurityPolicy(new TextEncoder().encode(policyWith({
    env: '(?i)(FABRIC)_.+=.+', mountSource: 'sandbox:///tmp/atlas/(emptydir|secretsVolume)/.+',
  }))).policy;
  assert.is(policy.containers[0]!.env_rules[0]!.pattern, '(?i)(FABRIC)_.+=.+');
});

test(`${SUITE}: policy show exits 30 with one line for a lookahead pattern`, () => {
  const path = join(mkdtempSync(join(tmpdir(), 'parma-sim-regex-')), 'p.rego');
  writeFileSync(path, policyWith({ env: 'A=(?=x).*' }));
  const result = spawnCli(['policy', 'show', path]);
  assert.is(result.code, 30);
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
  assert.match(result.stderr, 'POLICY_BAD_REGEX');
});

test.run();
