/**
 * Goal: one way to state "the agent refused this request, here, for this reason" in the guest
 * tests: the refusal's layer and check or rule, a failure Result with the reason as ErrorMessage,
 * a `refused` trace event, and (unless the step is allowed to change state) the very same state
 * object, fingerprint-equal.
 * Method: plain uvu assertions over the AgentStep.
 */
import * as assert from 'uvu/assert';
import { fingerprint } from '../../sim/kernel/codec.js';
import type { AgentStep, RefusalLayer } from '../../models/guest/agent.js';
import type { GuestState } from '../../models/guest/guest-state.js';

export type Expected = Readonly<{
  layer: RefusalLayer;
  check?: string;
  rule?: string;
  /** A substring of the reason (from the spec or the real GCS's message). */
  reason?: string;
  code?: string;
  /** The step may change state (default: it must not). */
  changes?: boolean;
}>;

export function assertRefused(step: AgentStep, start: GuestState, expected: Expected): void {
  const r = step.refusal;
  assert.ok(r !== null, `expected a refusal, got success: ${JSON.stringify(step.response)}`);
  assert.is(r.layer, expected.layer, `layer (${r.reason})`);
  if (expected.check !== undefined) assert.is(r.check, expected.check, 'check');
  if (expected.rule !== undefined) assert.is(r.rule, expected.rule, 'rule');
  if (expected.reason !== undefined) {
    assert.ok(r.reason.includes(expected.reason), `reason ${JSON.stringify(r.reason)} should `
      + `include ${JSON.stringify(expected.reason)}`);
  }
  if (expected.code !== undefined) assert.is(r.code, expected.code, 'code');
  assert.is.not(step.response.Result, 0, 'a failure Result');
  assert.is(step.response.ErrorMessage, r.reason);
  assert.ok(step.events.some((e) => e.type === 'refused'), 'a refused event');
  if (expected.changes !== true) {
    assert.ok(step.state === start, 'the state object is unchanged');
    assert.is(fingerprint(step.state), fingerprint(start));
    assert.is(step.writes.length, 0, 'nothing written');
  }
}

export function assertAccepted(step: AgentStep): void {
  assert.is(step.refusal, null, `refused: ${JSON.stringify(step.refusal)}`);
  assert.is(step.response.Result, 0);
  assert.is(step.response.ErrorMessage, '');
}
