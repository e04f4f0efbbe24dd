/**
 * Goal: the README's examples for the token service, the key broker, guest memory and
 *   attestation in the world really run and print what their comments say.
 * Method: take the ```js block under each README heading, run it with `node --input-type=module`
 *   from the repository root (so `parma-sim` resolves to the compiled package), compare stdout.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../support/paths.js';

function exampleUnder(heading: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`${heading}\n`);
  assert.ok(start >= 0, `README has a section "${heading}"`);
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block !== null, `the section has a js example`);
  return block[1]!;
}

function run(source: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module'], {
    cwd: REPO_ROOT, input: source, encoding: 'utf8', timeout: 60_000,
  });
  return out.trim().split('\n');
}

test('README: the attestation example releases the key once and refuses the replay', () => {
  const lines = run(exampleUnder("## Attestation tokens and key release (Azure's flow)"));
  assert.equal(lines, [`true ${'01'.repeat(32)}`, 'VERIFY_NONCE']);
});

test('README: the guest-memory example shows ciphertext, an RMP fault and a #VC', () => {
  const lines = run(exampleUnder('## Guest memory under the RMP'));
  assert.is(lines.length, 3);
  assert.match(lines[0]!, /^[0-9a-f]{8}$/);
  assert.is.not(lines[0], '01010101', 'the host does not see the key bytes');
  assert.equal(lines.slice(1), ['rmp_violation', 'vc_not_validated']);
});

test('README: the world example attests, refuses the replayed report and halts after a ' +
  'remap', () => {
  const lines = run(exampleUnder('### Attestation and guest memory in the world'));
  assert.equal(lines, ['key container-key released into guest memory', 'key broker: VERIFY_NONCE',
    'hypervisor']);
});

test.run();
