/**
 * Goal: the README's property-suites example really runs and prints what its comments say.
 * Method: take the ```js block under the section's heading, run it with
 * `node --input-type=module` from the repository root (so `parma-sim` and
 * `parma-sim/properties` resolve to the compiled package), compare stdout line by line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../support/paths.js';

const HEADING = '## Property suites: a hostile host against an independent invariant '
  + '(`parma-sim/properties`)';

test('README: the property-suites example deploys a generated policy with I1–I7 holding and '
  + 'catches the broken engine', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`${HEADING}\n`);
  assert.ok(start >= 0, 'README has the section');
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block !== null, 'the section has a js example');
  const expected = ['true I1:holds I2:holds I3:holds I4:holds I5:holds I6:holds I7:holds',
    'I1 overlay /run/gcs/c/ID/rootfs 9', '#33 ModifySettings Add CombinedLayers: reverse layers'];
  for (const line of expected) assert.ok(block[1]!.includes(`// ${line}`), `README shows ${line}`);
  const out = execFileSync(process.execPath, ['--input-type=module'], { cwd: REPO_ROOT,
    input: block[1]!, encoding: 'utf8', timeout: 120_000 });
  assert.equal(out.trim().split('\n'), expected);
});

test.run();
