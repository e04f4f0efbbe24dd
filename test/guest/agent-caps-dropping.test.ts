/**
 * Goal: with capability dropping allowed, a container and an exec get the capabilities the policy
 * left (caps_list), not the ones the host asked for: an extra CAP_SYS_ADMIN in every set is gone
 * from the container's config, its config.json, and the exec's process record.
 * Method: generatedPolicy() with allow_capability_dropping, the app container's Create and the
 * probe exec of agent-support.ts with CAP_SYS_ADMIN added to each set of CAPS; expected sets are
 * CAPS itself (the policy's capabilities for the app).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  APP_ID, BENIGN, CAPS, benignPrefix, create, exec, generatedPolicy,
} from './agent-support.js';
import { assertAccepted } from './agent-assert.js';

const policy = generatedPolicy({ allow_capability_dropping: true });
const extra = Object.fromEntries(Object.entries(CAPS).map(([set, caps]) =>
  [set, [...caps, 'CAP_SYS_ADMIN']]));

function assertPolicyCaps(caps: unknown, what: string): void {
  const sets = caps as Record<string, readonly string[]>;
  for (const [set, expected] of Object.entries(CAPS)) {
    assert.equal([...(sets[set] ?? [])].sort(), [...expected].sort(), `${what}: ${set}`);
  }
}

test('guest/caps: a container gets the policy\'s capabilities, not the host\'s extra one', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate, policy);
  const step = world.step(state, create(APP_ID, { process: { capabilities: extra } }));
  assertAccepted(step);
  assertPolicyCaps(step.state.containers[APP_ID]?.context.config?.capabilities, 'config');
});

test('guest/caps: an exec gets the policy\'s capabilities, not the host\'s extra one', () => {
  const { world, state } = benignPrefix(BENIGN.all, policy);
  const step = world.step(state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok'],
    { capabilities: extra }));
  assertAccepted(step);
  assertPolicyCaps(step.state.processes[String(step.response.ProcessId)]?.capabilities, 'exec');
});

test.run();
