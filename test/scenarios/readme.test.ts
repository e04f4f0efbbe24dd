/**
 * Goal: the README's "Writing a scenario" example is real: its code is exactly the module the
 * catalog runs (scenarios/examples/privileged-web.ts), and that scenario is blocked where it
 * says and succeeds with its defence relaxed.
 * Method: the ```ts block under the heading is compared with the module's source after its
 * header comment; the compiled module is run through the runner.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { privilegedWeb } from '../../scenarios/examples/privileged-web.js';
import { runOf, runScenario } from '../../scenarios/runner.js';
import { REPO_ROOT } from '../support/paths.js';

test('README: the "Writing a scenario" example is scenarios/examples/privileged-web.ts', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Writing a scenario\n');
  assert.ok(start >= 0, 'the README has the section');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block !== null, 'the section has a ts block');
  const source = readFileSync(join(REPO_ROOT, 'scenarios', 'examples', 'privileged-web.ts'),
    'utf8');
  assert.is(block[1], source.slice(source.indexOf('*/\n') + 3));
  assert.ok(block[1]!.split('\n').length <= 30, 'about 20 lines');
});

test('README: the example is blocked by create_container and succeeds with an allow-all policy',
  () => {
    const result = runScenario(privilegedWeb, 1);
    assert.is(runOf(result, 'main')!.outcome.kind, 'blocked');
    assert.ok(runOf(result, 'main')!.asDeclared);
    assert.is(runOf(result, 'relaxed')!.outcome.kind, 'allowed');
    assert.ok(result.pass);
  });

test.run();
