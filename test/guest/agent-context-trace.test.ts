/**
 * Goal: the agent's shared step machinery (agent-context.ts) traces what it did in the words the
 * trace readers use: every step ends with a `response` event naming the message and Result, a
 * refusal's `refused` event carries its layer, check, rule, reason and code, each policy query
 * is a `policy` event with the decision's reasons, an injected fault is traced, the closed-door
 * enforcer and a point the v0.14.1 GCS never asked are told apart, and an engine error becomes a
 * policy refusal with its code. The engine is called with the options the agent was given.
 * Method: steps of the benign sequence of agent-support.ts; the engine seam of AgentEnv (a
 * wrapper that records its options, or one that throws a SimError); the v0.14.1 dialect for
 * rw_mount_device (DIALECTS['v0.14.1'].pointsAbsent, spec c). Expected texts are the agent's
 * documented reasons, written out here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import { clearMemo } from '../../sim/kernel/memo.js';
import { DEFAULT_AGENT_OPTIONS, stepAgent } from '../../models/guest/agent.js';
import type { PolicyEngine } from '../../models/guest/agent-step.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import {
  BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, create, generatedPolicy, last, scsiLayer,
  scsiScratch, text,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

test('guest/trace: a step ends with a response event naming the message and its Result', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
  assertAccepted(step);
  assert.equal(last(step.events), { source: 'guest', type: 'response',
    data: { message: 'ModifySettings', Result: 0 } });
  const policyEvent = step.events.find((e) => e.type === 'mount_device');
  assert.equal(policyEvent, { source: 'policy', type: 'mount_device',
    data: { allowed: true, reasons: [...step.decision!.reasons],
      framework_reasons: step.decision!.framework_reasons === null ? null
        : [...step.decision!.framework_reasons] } });
  assert.equal(step.decision?.allowed, true);
});

test('guest/trace: a structural refusal is traced with its check and the bad-message code',
  () => {
  const { world, state } = benignPrefix(BENIGN.pauseCreate);
  const step = world.step(state, create(SANDBOX_ID, { spec: { hooks: {} } }));
  assertRefused(step, state, { layer: 'structure', check: 'oci_hooks_nil' });
  assert.is(step.refusal?.code, 'GUEST_BAD_MESSAGE');
  const refused = step.events.find((e) => e.type === 'refused');
  assert.equal(refused?.data, { layer: 'structure', check: 'oci_hooks_nil', rule: null,
    reason: 'OCISpecification.Hooks must be nil.', code: 'GUEST_BAD_MESSAGE' });
  assert.equal(last(step.events).data, { message: 'Create', Result: step.response.Result });
});

test('guest/trace: a policy denial is refused as "<rule> denied: <reasons>"', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const stranger = buildLayerImage({ '/x': { kind: 'file', content: text('x'), mode: 0o644 } });
  world.attachLayer(8, stranger);
  const step = world.step(state, scsiLayer(8, '/run/mounts/scsi/m8'));
  assertRefused(step, state, { layer: 'policy', rule: 'mount_device' });
  const event = step.events.find((e) => e.type === 'mount_device');
  const data = event?.data as { allowed: boolean; reasons: string[] };
  assert.is(data.allowed, false);
  assert.ok(data.reasons.length > 0);
  assert.is(step.refusal?.reason, `mount_device denied: ${data.reasons.join('; ')}`);
  assert.is(step.refusal?.code, null);
  const framework = (event?.data as { framework_reasons: string[] | null }).framework_reasons;
  assert.ok(framework !== null && framework.length > 0, 'the framework said why');
  assert.equal(framework, [...step.decision!.framework_reasons!]);
});

test('guest/trace: an injected fault is traced once, as fault_injected with what failed', () => {
  const { world, state } = benignPrefix(BENIGN.pauseLayer);
  world.fault = 'mount';
  const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
  assertRefused(step, state, { layer: 'io' });
  assert.equal(step.events.filter((e) => e.type === 'fault_injected').map((e) => e.data),
    [{ what: 'mount' }]);
  const other = benignPrefix(BENIGN.pauseLayer);
  other.world.fault = 'unmount';
  const mount = other.world.step(other.state, scsiLayer(LUN.pause, TARGET.pause));
  assertAccepted(mount);
  assert.is(mount.faultUsed, false, 'an unmount fault does not fail a mount');
  assert.ok(!mount.events.some((e) => e.type === 'fault_injected'));
});

test('guest/trace: before a policy the closed-door enforcer denies, traced as such', () => {
  const { world, state } = benignPrefix(BENIGN.policy);
  const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
  assertRefused(step, state, { layer: 'policy', rule: 'mount_device' });
  assert.is(step.refusal?.reason, 'no security policy has been set: the closed-door enforcer '
    + 'denies every request');
  assert.equal(step.events.find((e) => e.source === 'policy'), { source: 'policy',
    type: 'mount_device', data: { allowed: false, enforcer: 'closed-door' } });
});

test('guest/trace: the v0.14.1 GCS mounts read-write scratch without asking (no '
  + 'rw_mount_device call)', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, dialect: 'v0.14.1' as const };
  const { world, state } = benignPrefix(BENIGN.policy + 1, generatedPolicy(), options);
  const step = world.step(state, scsiScratch(LUN.scratch, TARGET.scratch));
  assertAccepted(step);
  assert.equal(step.events.find((e) => e.type === 'rw_mount_device'), { source: 'policy',
    type: 'rw_mount_device', data: { allowed: true, asked: false, dialect: 'v0.14.1' } });
  const d = step.decision!;
  assert.equal([d.rule, d.allowed, d.source, d.framework_reasons, d.delta, d.reasons],
    ['rw_mount_device', true, 'api-default', [], [],
      ['the v0.14.1 GCS has no rw_mount_device call: not asked']]);
  assert.ok(d.metadata === state.metadata, 'an unasked point changes no metadata');
  const head = benignPrefix(BENIGN.policy + 1);
  const asked = head.world.step(head.state, scsiScratch(LUN.scratch, TARGET.scratch));
  assert.is(asked.decision?.source === 'api-default', false, 'HEAD asks the policy');
});

function recordingEngine(seen: unknown[]): PolicyEngine {
  return (policy, metadata, rule, input, options) => {
    seen.push(options);
    return evaluateEnforcementPoint(policy, metadata, rule, input, options);
  };
}

test('guest/trace: the engine is asked with the agent\'s dialect, and its null-command reading '
  + 'only when one is set', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const seen: unknown[] = [];
  stepAgent(state, scsiLayer(LUN.pause, TARGET.pause), world.io,
    { options: DEFAULT_AGENT_OPTIONS, fault: null, engine: recordingEngine(seen) });
  assert.equal(seen, [{ dialect: 'head' }]);
  seen.length = 0;
  stepAgent(state, scsiLayer(LUN.pause, TARGET.pause), world.io, { options:
    { ...DEFAULT_AGENT_OPTIONS, nullCommand: 'empty-argv' }, fault: null,
  engine: recordingEngine(seen) });
  assert.equal(seen, [{ dialect: 'head', nullCommand: 'empty-argv' }]);
});

test('guest/trace: an engine error is a policy refusal with the rule, message and code', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const failing: PolicyEngine = () => {
    throw new SimError('POLICY_BAD_INPUT', {}, 'the input has no target');
  };
  const step = stepAgent(state, scsiLayer(LUN.pause, TARGET.pause), world.io,
    { options: DEFAULT_AGENT_OPTIONS, fault: null, engine: failing });
  assertRefused(step, state, { layer: 'policy', rule: 'mount_device', code: 'POLICY_BAD_INPUT' });
  assert.is(step.refusal?.reason, 'mount_device: POLICY_BAD_INPUT: the input has no target');
  assert.equal(step.events.find((e) => e.source === 'policy'), { source: 'policy',
    type: 'mount_device', data: { allowed: false, error: 'POLICY_BAD_INPUT' } });
  const bug: PolicyEngine = () => {
    throw new TypeError('a bug in the engine');
  };
  assert.throws(() => stepAgent(state, scsiLayer(LUN.pause, TARGET.pause), world.io,
    { options: DEFAULT_AGENT_OPTIONS, fault: null, engine: bug }), /a bug in the engine/,
  'only a SimError is a refusal; a bug is not hidden');
});

test('guest/trace: an I/O seam failing with another SimError is not disguised as a bad message',
  () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const io = { ...world.io, deviceId: (): never => {
    throw new SimError('GUEST_VERITY_READ_ERROR', {}, 'the world lost the disk');
  } };
  assert.throws(() => stepAgent(state, scsiLayer(LUN.pause, TARGET.pause), io,
    { options: DEFAULT_AGENT_OPTIONS, fault: null }), /the world lost the disk/);
});

test('guest/trace: a policy without reason errors denies with no framework reasons, traced as '
  + 'null', () => {
  const quiet = { ...generatedPolicy(), reason_errors: false };
  const { world, state } = benignPrefix(BENIGN.scratch, quiet);
  const stranger = buildLayerImage({ '/y': { kind: 'file', content: text('y'), mode: 0o644 } });
  world.attachLayer(8, stranger);
  const step = world.step(state, scsiLayer(8, '/run/mounts/scsi/m8'));
  assertRefused(step, state, { layer: 'policy', rule: 'mount_device' });
  assert.is(step.decision?.framework_reasons, null);
  assert.is((step.events.find((e) => e.type === 'mount_device')?.data as
    { framework_reasons: unknown }).framework_reasons, null);
});

test('guest/trace: a denial after metadata operations were applied keeps that metadata, '
  + 'traced', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  let written: unknown = null;
  const appliedThenDenied: PolicyEngine = (policy, metadata, rule, input, options) => {
    const real = evaluateEnforcementPoint(policy, metadata, rule, input, options);
    written = real.metadata;
    return { ...real, allowed: false, reasons: ['a Go-side error after the operations'] };
  };
  const step = stepAgent(state, scsiLayer(LUN.pause, TARGET.pause), world.io,
    { options: DEFAULT_AGENT_OPTIONS, fault: null, engine: appliedThenDenied });
  assertRefused(step, state, { layer: 'policy', rule: 'mount_device', changes: true });
  assert.is(step.refusal?.reason, 'mount_device denied: a Go-side error after the operations');
  assert.ok(written !== state.metadata, 'the engine applied operations');
  assert.ok(step.state.metadata === written, 'the applied metadata is kept');
  assert.equal(step.events.filter((e) => e.type === 'metadata_kept_after_denial')
    .map((e) => e.data), [{}]);
  assert.equal(step.state.devices, state.devices, 'nothing was mounted');
});

test('guest/trace: an installed policy no longer in the memo is read back from the store', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  clearMemo('guest/security-policy');
  const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
  assertAccepted(step);
  assert.is(step.decision?.rule, 'mount_device');
  assert.ok(step.decision?.allowed);
});

test.run();
