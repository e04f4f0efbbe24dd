/**
 * Goal: the benign deployment of a generated policy with generated images succeeds end to end in
 * the guest agent, and what the agent recorded is what the host's requests and the images say.
 * Method: agent-support.ts builds the images, the policy and the host's requests; each test
 * runs them and reads GuestState.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APP_ID, SANDBOX_ID, benignRun, last } from './agent-support.js';

test('guest/agent: the benign deployment of a generated policy runs both containers', () => {
  const { states, steps } = benignRun();
  const state = last(states);
  assert.is(state.uvm.value, 'serving');
  assert.is(state.containers[SANDBOX_ID]!.value, 'running');
  assert.is(state.containers[APP_ID]!.value, 'running');
  assert.ok(steps.every((s) => s.refusal === null));
});

test.run();
