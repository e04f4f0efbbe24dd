/**
 * Goal: the runner's judgement can fail — a scenario blocked somewhere else than it says, one
 * that stays blocked with its defence relaxed ("blocked by accident"), one whose history is
 * wrong, and one whose body throws all fail; and the DSL refuses malformed declarations.
 * Method: catalog scenarios copied with one declaration changed, and hand-made bodies; the
 * runner's verdict and each run's `asDeclared` are asserted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssertionError } from '../../sim/kernel/assert.js';
import { catalog } from '../../scenarios/catalog/index.js';
import { blocked, defineScenario, outcomeMatches, type Scenario } from '../../scenarios/dsl.js';
import {
  HISTORICAL_CONFIG, V0_14_1_CHECKS_OFF, relaxedConfig, runOf, runScenario,
} from '../../scenarios/runner.js';

const byName = (name: string): Scenario => {
  const found = catalog({ sharedPolicies: null }).find((s) => s.name === name);
  assert.ok(found !== undefined, name);
  return found;
};

test('scenarios/runner: a scenario blocked at another layer than declared fails', () => {
  const s = byName('substituted-layer');
  const wrong = { ...s, expected: { kind: 'blocked', layer: 'verity',
    reason: 'deviceHash not found' } } as Scenario;
  const result = runScenario(wrong, 1);
  assert.is(result.pass, false);
  assert.is(runOf(result, 'main')!.asDeclared, false);
  assert.is(runOf(result, 'relaxed')!.asDeclared, true);
});

test('scenarios/runner: a reason that does not occur, or another rule, fails', () => {
  const s = byName('wrong-layer-order');
  for (const expected of [{ kind: 'blocked', layer: 'policy', rule: 'mount_overlay',
    reason: 'a typo in the reason' }, { kind: 'blocked', layer: 'policy', rule: 'mount_device',
    reason: 'no matching containers' }]) {
    assert.is(runScenario({ ...s, expected } as Scenario, 1).pass, false);
  }
});

test('scenarios/runner: an attack still blocked with its defence relaxed fails (blocked by '
  + 'accident)', () => {
  const s = byName('reused-mount-point');
  const accidental = { ...s, defence: { summary: 'the policy', relax: [{
    kind: 'allow-all-policy' }] } } as Scenario;
  const result = runScenario(accidental, 1);
  assert.is(runOf(result, 'main')!.asDeclared, true);
  assert.is(runOf(result, 'relaxed')!.outcome.kind, 'blocked', 'the Go-side check still stops it');
  assert.is(result.pass, false);
});

test('scenarios/runner: a wrong history fails', () => {
  const s = byName('unanchored-env-pattern');
  const result = runScenario({ ...s, history: { fix: '9b2e94f54',
    expected: { kind: 'allowed' } } } as Scenario, 1);
  assert.is(runOf(result, 'historical')!.asDeclared, false);
  assert.is(result.pass, false);
});

test('scenarios/runner: a body that throws is an error, which never passes', () => {
  const broken = defineScenario({ name: 'broken-body', group: 'paper', kind: 'attack',
    threat: { summary: 'a body with a bug', references: ['test'] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'mount_device', reason: 'x' },
    defence: { summary: 'none', relax: [{ kind: 'allow-all-policy' }] },
    body: () => { throw new Error('the body has a bug'); } });
  const result = runScenario(broken, 1);
  assert.is(result.pass, false);
  assert.ok(result.runs.every((run) => run.outcome.kind === 'error' && !run.asDeclared));
});

test('scenarios/runner: relaxed and historical configurations change only what they name', () => {
  const s = byName('oci-hooks');
  const relaxed = relaxedConfig(s);
  assert.equal(relaxed.checksOff, ['oci_hooks_nil']);
  assert.is(relaxed.allowAllPolicy, false);
  assert.is(relaxed.dialect, 'head');
  assert.is(HISTORICAL_CONFIG.dialect, 'v0.14.1');
  assert.ok(V0_14_1_CHECKS_OFF.includes('oci_hooks_nil'));
  assert.not.ok(V0_14_1_CHECKS_OFF.includes('policy_host_data'), 'the original binding stays');
});

test('scenarios/dsl: malformed declarations are refused at definition', () => {
  const base = { name: 'x-y', group: 'paper', kind: 'attack', threat: { summary: 's',
    references: ['r'] }, body: () => blocked('policy', 'r', { rule: 'x' }) } as const;
  const cases = [
    { ...base, expected: { kind: 'blocked', layer: 'policy', rule: 'r', reason: 'x' } },
    { ...base, expected: { kind: 'allowed' }, defence: { summary: 's',
      relax: [{ kind: 'allow-all-policy' }] } },
    { ...base, name: 'Bad Name', expected: { kind: 'blocked', layer: 'io', reason: 'x' },
      defence: { summary: 's', relax: [{ kind: 'allow-all-policy' }] } },
    { ...base, expected: { kind: 'blocked', layer: 'structure', check: 'no_such_check',
      reason: 'x' }, defence: { summary: 's', relax: [{ kind: 'allow-all-policy' }] } },
  ];
  for (const spec of cases) {
    assert.throws(() => defineScenario(spec as never), (e: unknown) => e instanceof AssertionError);
  }
});

test('scenarios/dsl: outcomeMatches compares layer, rule, check and code exactly', () => {
  const actual = blocked('policy', 'mount_device denied: deviceHash not found',
    { rule: 'mount_device' });
  assert.ok(outcomeMatches({ kind: 'blocked', layer: 'policy', rule: 'mount_device',
    reason: 'deviceHash' }, actual));
  assert.not.ok(outcomeMatches({ kind: 'blocked', layer: 'policy', rule: 'mount_overlay',
    reason: 'deviceHash' }, actual));
  assert.not.ok(outcomeMatches({ kind: 'blocked', layer: 'policy', code: 'X',
    reason: 'deviceHash' }, actual));
  assert.not.ok(outcomeMatches({ kind: 'allowed' }, actual));
});

test.run();
