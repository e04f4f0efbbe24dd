/**
 * Goal: C1 — for any generated policy, its benign deployment is allowed, with the invariant
 * holding after every step; benign drift is allowed exactly where the policy says (extra
 * platform environment variables with env dropping on, more capabilities with capability
 * dropping on, unencrypted scratch with allow_unencrypted_scratch), and what is dropped is gone
 * from the containers. C1 can fail: a policy whose container has `command: null` is judged
 * violated with the framework's reason.
 * Method: properties/compatibility.ts over properties/arbitraries.ts (fixed seeds); each drift
 * is checked under its flag on and off.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { generatedPolicyArb, generatedPolicyOf, worldOf } from '../../properties/arbitraries.js';
import {
  checkCompatibility, DRIFT_FLAG, DRIFTS, PLATFORM_ENV, runDrifted,
} from '../../properties/compatibility.js';
import { serverPolicy } from './support.js';

test('properties/compatibility: C1 — the benign deployment of every generated policy is allowed',
  () => {
    fc.assert(fc.property(generatedPolicyArb(), (policy) => {
      const verdict = checkCompatibility(worldOf(policy));
      if (verdict.kind !== 'holds') throw new Error(JSON.stringify(verdict));
    }), { seed: 11, numRuns: 40 });
  });

test('properties/compatibility: the benign deployment keeps I1–I7 after every step', () => {
  fc.assert(fc.property(generatedPolicyArb(), (policy) => {
    const run = runDrifted(worldOf(policy), null);
    if (run.invariant.kind !== 'holds' || !run.allowed) {
      throw new Error(`${JSON.stringify(run.invariant)} ${run.refused ?? ''}`);
    }
  }), { seed: 12, numRuns: 15 });
});

for (const drift of DRIFTS) {
  test(`properties/compatibility: drift ${drift} is allowed iff ${DRIFT_FLAG[drift]}, and the `
    + 'invariant holds either way', () => {
    for (const flag of [true, false]) {
      const outcome = runDrifted(worldOf(serverPolicy({ [DRIFT_FLAG[drift]]: flag })), drift);
      assert.equal(outcome.invariant, { kind: 'holds' }, `${drift} with the flag ${flag}`);
      assert.is(outcome.allowed, flag, `${drift} with the flag ${flag}: ${outcome.refused}`);
      if (!flag || drift !== 'platform-env') continue;
      const processes = Object.values(outcome.world.state.guest!.processes);
      assert.ok(processes.length > 0 && processes.every((p) => !p.env.includes(PLATFORM_ENV)),
        'the platform variable was dropped');
    }
  });
}

test('properties/compatibility: C1 is violated by a policy whose container has command null, '
  + 'with the framework\'s reason', () => {
  const policy = serverPolicy();
  const shape = { ...policy.shape, containers: policy.shape.containers.map((c, i) =>
    (i === 1 ? { ...c, command: null } : c)) };
  const verdict = checkCompatibility(worldOf(generatedPolicyOf(shape)));
  assert.is(verdict.kind, 'violated');
  assert.ok(verdict.kind === 'violated' && /invalid command/.test(verdict.reason));
});

test.run();
