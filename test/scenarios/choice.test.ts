/**
 * Goal: scenarios draw through `Choice`, so they can be sampled (a seeded Rng) or enumerated
 * (every combination, depth first); an enumerated attack is blocked for every choice and
 * succeeds relaxed for every choice; enumeration is bounded.
 * Method: a toy body with known draws (its paths are listed by hand); the catalog's scenarios
 * that draw (which of web's layers to substitute, which launch input to change, which command
 * to run) enumerated through the runner.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../sim/kernel/errors.js';
import { PathChoice, enumeratePaths, nextPath } from '../../scenarios/choice.js';
import { catalog } from '../../scenarios/catalog/index.js';
import { enumerateScenario } from '../../scenarios/runner.js';

test('scenarios/choice: every combination of a body\'s draws, depth first, once each', () => {
  const seen = enumeratePaths((choices) => {
    const c = choices();
    return `${c.pick(['a', 'b', 'c'])}${c.bool() ? 1 : 0}`;
  });
  assert.equal(seen.map((s) => s.value), ['a0', 'a1', 'b0', 'b1', 'c0', 'c1']);
  assert.equal(seen[3]!.path, [1, 1]);
});

test('scenarios/choice: draws that depend on earlier ones are enumerated as a tree', () => {
  const seen = enumeratePaths((choices) => {
    const c = choices();
    const n = c.int(1, 3);
    return Array.from({ length: n }, () => c.pick(['x', 'y'])).join('');
  });
  assert.is(seen.length, 2 + 4 + 8);
  assert.is(new Set(seen.map((s) => s.value)).size, 14);
});

test('scenarios/choice: a draw too wide to enumerate and too many paths are SIM_LIMIT_EXCEEDED',
  () => {
    assert.is(errorCode(() => new PathChoice([]).int(0, 1000)), 'SIM_LIMIT_EXCEEDED');
    assert.is(errorCode(() => enumeratePaths((choices) => {
      const c = choices();
      return c.int(0, 9) + c.int(0, 9);
    }, 50)), 'SIM_LIMIT_EXCEEDED');
    assert.is(nextPath([2, 1], [3, 2]), null);
  });

for (const name of ['substituted-layer', 'other-uvm-image', 'other-command']) {
  test(`scenarios/choice: ${name} is blocked, and succeeds relaxed, for every choice`, () => {
    const scenario = catalog({ sharedPolicies: null }).find((s) => s.name === name)!;
    const paths = enumerateScenario(scenario, 1);
    assert.ok(paths.length >= 2, `${paths.length} paths`);
    assert.is(new Set(paths.map((p) => p.result.traceSha256)).size, paths.length,
      'each choice is a different run');
    for (const { path, result } of paths) assert.ok(result.pass, `path ${path.join('.')}`);
  });
}

test.run();
