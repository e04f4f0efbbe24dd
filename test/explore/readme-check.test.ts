/**
 * Goal: the README's `parma-sim check` section tells the truth: its library example (the attack
 * surface of a planted copy of a real confcom policy) prints what its comments say, and the
 * documented full state count of the `single` configuration is what the command reports.
 * Method: the ```js block under the section's policy heading, run with `node --input-type=module`
 * from the repository root (`parma-sim` resolves to the compiled package), stdout compared with
 * the block's `// ` lines; the table row for `single` compared with `check --exhaustive`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../support/paths.js';
import { sharedTest } from '../support/requires.js';
import { runCli } from '../support/cli.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

function section(heading: string): string {
  const start = README.indexOf(`${heading}\n`);
  assert.ok(start >= 0, `README has a section "${heading}"`);
  return README.slice(start);
}

sharedTest('README: the policy author\'s example prints the findings its comments list', () => {
  const text = section('### A policy author\'s check: '
    + '`parma-sim check --policy FILE [--format json]`');
  const block = /```js\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(block !== undefined, 'a js example');
  const expected = block.split('\n').filter((l) => l.startsWith('// ')).map((l) => l.slice(3));
  const out = execFileSync(process.execPath, ['--input-type=module'], { cwd: REPO_ROOT,
    input: block, encoding: 'utf8', timeout: 120_000 });
  assert.equal(out.trim().split('\n'), expected);
});

test('README: the documented reachable state count of `single` is what check --exhaustive finds',
  async () => {
  const row = /\| `single` \|[^|]*\| (\d+) \| (\d+) = fixpoint \| (\d[\d,]*) — every reachable/
    .exec(section('### Exhaustive bounded exploration: '
      + '`parma-sim check --exhaustive [--config NAME] [--depth K]`'));
  assert.ok(row !== null, 'the table has a row for single');
  const out = await runCli(['check', '--exhaustive', '--config', 'single']);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`${row[1]} letters`));
  assert.match(out.stdout, new RegExp(`\\n  ${row[3]!.replace(/,/g, '')} distinct states`));
  assert.match(out.stdout, new RegExp(`depth reached ${row[2]} \\(complete`));
});

test.run();
