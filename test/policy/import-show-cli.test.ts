/**
 * Goal: `parma-sim policy show` prints the normalised policy as canonical JSON that is itself a
 * policy: show → show of that output gives the identical text; notes go to stderr.
 * Method: run the compiled CLI as a child process on shared policies (Rego, ARM template, legacy
 * base64) and on its own output written to a temporary file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const policies = (file: string): string => shared('policies', file);
const DIR = mkdtempSync(join(tmpdir(), 'parma-sim-policy-show-'));

for (const file of [
  'confcom/multi_containers.policy.rego',
  'confcom/sample-template-output.json',
  'confidential-sidecar-containers/legacy_json_policy_tampered.base64',
  'hcsshim/policyenginesimulator_simple_framework/fragment.rego',
]) {
  sharedTest(`policy/show cli: ${file} → show → show prints identical text, exit 0`, () => {
    const first = spawnCli(['policy', 'show', policies(file)]);
    assert.is(first.code, 0, first.stderr);
    const shown = join(DIR, file.replace(/\//g, '_') + '.json');
    writeFileSync(shown, first.stdout);
    const second = spawnCli(['policy', 'show', shown]);
    assert.is(second.code, 0, second.stderr);
    assert.is(second.stdout, first.stdout);
    assert.ok(first.stdout.startsWith('{\n  "allow_all": '));
  });
}

sharedTest('policy/show cli: import notes of the sample template are echoed on stderr, one line '
  + 'each',
    () => {
  const result = spawnCli(['policy', 'show', policies('confcom/sample-template-output.json')]);
  const notes = (JSON.parse(result.stdout) as { notes: string[] }).notes;
  assert.ok(notes.length > 0);
  assert.is(result.stderr.trim().split('\n').length, notes.length);
});

sharedTest('policy/show cli: --compact prints one line of the same JSON', () => {
  const file = policies('confcom/minimal.policy.rego');
  const compact = spawnCli(['policy', 'show', '--compact', file]);
  const pretty = spawnCli(['policy', 'show', file]);
  assert.is(compact.stdout.trim().split('\n').length, 1);
  assert.equal(JSON.parse(compact.stdout), JSON.parse(pretty.stdout));
});

sharedTest('policy/show cli: a template is rejected with exit 30 and names its placeholder', () => {
  const result = spawnCli(['policy', 'show', policies('hcsshim/open_door.rego')]);
  assert.is(result.code, 30);
  assert.match(result.stderr, new RegExp('POLICY_UNSUPPORTED: .*open_door\\.rego:3:17: '
    + 'this is a template, not a policy: placeholder @@API_VERSION@@'));
});

test('policy/show cli: an unknown option is a usage error, exit 2', () => {
  const result = spawnCli(['policy', 'show', '--yaml', 'x.rego']);
  assert.is(result.code, 2);
  assert.ok(result.stderr.includes('unknown option --yaml'), result.stderr);
});

test.run();
