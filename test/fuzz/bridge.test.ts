/**
 * Goal: the bridge message decoder (models/guest/bridge-protocol.ts) and the agent's stepAgent
 * under JSON mutations of the real GCS requests of a benign deployment: the decoder returns a
 * request or GUEST_BAD_MESSAGE; the agent answers every frame with a typed response (S_OK exactly
 * when nothing refused it) and never throws; a refusal by the bridge, a Go-side structural check,
 * the policy, dm-verity or dm-crypt returns the very state object it was given, with no disk
 * writes and no stored blobs; the benign request after an accepted mutant is answered too.
 * Method: fast-check (fixed seeds; fuzz/harness.ts) over fuzz/mutators.ts JSON edits (replace,
 * delete or add members, also inside the nested JSON strings the GCS decodes: ContainerConfig,
 * ProcessParameters, Settings) of each request of test/guest/agent-support.ts's benign run, taken
 * at the state the benign run reached just before it. Steps are pure (no writes applied).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decodeBridgeRequest, HRESULT } from '../../models/guest/bridge-protocol.js';
import { stepAgent, type AgentStep } from '../../models/guest/agent.js';
import type { GuestState } from '../../models/guest/guest-state.js';
import {
  benignRequests, benignWorld, bootedGuest, generatedPolicy, policyBytes, run,
} from '../guest/agent-support.js';
import { fuzzParameters, fuzzRuns, labelled, outcome, ranNote } from './harness.js';
import { mutatedJson } from './mutators.js';

const SUITE = 'fuzz/bridge';
const BOUND_MS = 2_000;
/** Refusals that must leave everything as it was (the io and state layers may poison the UVM). */
const STRICT_LAYERS = new Set(['message', 'structure', 'policy', 'verity', 'crypt']);

const bytes = policyBytes(generatedPolicy());
const requests = benignRequests(bytes);
const world = benignWorld();
const { states } = run(world, bootedGuest(bytes), requests);

function judged(start: GuestState, request: unknown): AgentStep {
  const result = outcome(() => stepAgent(start, request, world.io, world.env()), BOUND_MS);
  assert.ok(result.ok, 'stepAgent never throws, not even a SimError');
  if (!result.ok) throw new Error('unreachable');
  const step = result.value;
  assert.type(step.response.Result, 'number');
  assert.is(step.refusal === null, step.response.Result === HRESULT.S_OK,
    'S_OK exactly when nothing refused');
  if (step.refusal !== null && STRICT_LAYERS.has(step.refusal.layer)) {
    assert.ok(step.state === start, `a ${step.refusal.layer} refusal changed the state: `
      + step.refusal.reason);
    assert.is(step.writes.length, 0, 'a refusal writes nothing');
    assert.is(step.blobs.length, 0, 'a refusal stores nothing');
  }
  return step;
}

test(`${SUITE}: JSON mutations of every benign GCS request decode to a request or `
  + 'GUEST_BAD_MESSAGE, and the agent answers them with a typed response, a strict refusal '
  + 'changing nothing', () => {
  const arbitrary = fc.nat(requests.length - 1).chain((at) => mutatedJson(requests[at])
    .map((frame) => labelled({ at, frame },
      `request ${at} mutated: ${JSON.stringify(frame).slice(0, 300)}`)));
  let accepted = 0;
  fc.assert(fc.property(arbitrary, ({ at, frame }) => {
    const decoded = outcome(() => decodeBridgeRequest(frame), BOUND_MS);
    if (!decoded.ok) assert.is(decoded.code, 'GUEST_BAD_MESSAGE');
    const step = judged(states[at]!, frame);
    if (!decoded.ok) assert.is(step.refusal?.layer, 'message', 'an undecodable frame is refused');
    if (step.refusal === null && at + 1 < requests.length) {
      accepted++;
      judged(step.state, requests[at + 1]);
    }
  }), fuzzParameters(1601, 400));
  assert.ok(accepted > 0, 'some mutants are accepted and the run goes on');
  console.log(`${ranNote('bridge', fuzzRuns(400))}, ${accepted} accepted`);
});

test.run();
