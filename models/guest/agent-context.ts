/**
 * Models: what every GCS request handler shares: the step being built (events, writes, the last
 * policy decision), asking the policy through the installed enforcer (or the closed-door one
 * before a policy is set), the confidential checks' switches, and the response builders.
 * Real counterpart: hcsv2 Host.securityOptions.PolicyEnforcer and the bridge's response path.
 * Differs: the installed policy is imported once per digest (kernel memo) from the content store.
 * Invariants: a refusal that changed nothing returns the very state object the step started
 * from; every enforcement query emits one policy event; a structural refusal names its check.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import { evaluateEnforcementPoint, type Decision } from '../policy/engine.js';
import { DIALECTS } from '../policy/dialect.js';
import type { EnforcementPointName } from '../policy/enforcement-points.js';
import { importSecurityPolicy } from '../policy/load-policy.js';
import type { PolicyMetadata } from '../policy/metadata.js';
import type { SecurityPolicy } from '../policy/policy-model.js';
import {
  HRESULT, bridgeResponse, type BridgeRequest, type ResponsePayload,
} from './bridge-protocol.js';
import {
  checkEnabled, firstEnabled, type CheckFailure, type CheckName,
} from './confidential-checks.js';
import {
  refusal, type AgentEnv, type AgentIo, type AgentStep, type DiskWrite, type GuestEvent,
  type Refusal, type StoredBlob,
} from './agent-step.js';
import type { AgentFault, GuestState } from './guest-state.js';

/** The step under construction; handlers append to it and finish with `succeed`/`refuse`. */
export type StepContext = {
  readonly start: GuestState;
  readonly request: BridgeRequest;
  readonly io: AgentIo;
  readonly env: AgentEnv;
  readonly events: GuestEvent[];
  readonly writes: DiskWrite[];
  readonly blobs: StoredBlob[];
  decision: Decision | null;
  faultUsed: boolean;
};

export function newContext(start: GuestState, request: BridgeRequest, io: AgentIo,
  env: AgentEnv): StepContext {
  return { start, request, io, env, events: [], writes: [], blobs: [], decision: null,
    faultUsed: false };
}

export function emit(ctx: StepContext, type: string, data: Json = {},
  source: 'guest' | 'policy' = 'guest'): void {
  assert(ctx.events.length < 64, 'a step emits a bounded number of events');
  ctx.events.push(Object.freeze({ source, type, data }));
}

function finish(ctx: StepContext, state: GuestState, result: number, message: string,
  payload: ResponsePayload, refused: Refusal | null): AgentStep {
  const response = bridgeResponse(ctx.request.kind, ctx.request.MessageId, result, message,
    payload);
  emit(ctx, 'response', { message: ctx.request.kind, Result: result });
  return Object.freeze({
    state, response, decision: ctx.decision, refusal: refused,
    events: Object.freeze(ctx.events), writes: Object.freeze(ctx.writes),
    blobs: Object.freeze(ctx.blobs), faultUsed: ctx.faultUsed,
  });
}

export function succeed(ctx: StepContext, state: GuestState,
  payload: ResponsePayload = {}): AgentStep {
  return finish(ctx, state, HRESULT.S_OK, '', payload, null);
}

/**
 * A refused or failed request. `state` is `ctx.start` unless the step changed something before
 * failing (metadata the real GCS does not roll back, a poisoned UVM).
 */
export function refuse(ctx: StepContext, state: GuestState, why: Refusal,
  result: number = HRESULT.E_FAIL): AgentStep {
  assert(result !== HRESULT.S_OK, 'a refusal is a failure');
  emit(ctx, 'refused', {
    layer: why.layer, check: why.check, rule: why.rule, reason: why.reason, code: why.code,
  });
  return finish(ctx, state, result, why.reason, {}, why);
}

export function checkOn(ctx: StepContext, name: CheckName): boolean {
  return checkEnabled(ctx.env.options.checks, name);
}

/** The first enabled failure as a structural refusal, or null. */
export function structural(ctx: StepContext,
  failures: readonly (CheckFailure | null)[]): Refusal | null {
  const failed = firstEnabled(ctx.env.options.checks, failures);
  return failed === null ? null
    : refusal('structure', failed.reason, { check: failed.check, code: 'GUEST_BAD_MESSAGE' });
}

/** Consumes the injected fault if it is `what` (the real operation then fails). */
export function takeFault(ctx: StepContext, what: AgentFault): boolean {
  if (ctx.env.fault !== what || ctx.faultUsed) return false;
  ctx.faultUsed = true;
  emit(ctx, 'fault_injected', { what });
  return true;
}

/** The installed policy, imported once per digest from the content store. */
export function installedPolicy(state: GuestState, io: AgentIo): SecurityPolicy | null {
  if (state.policy === null) return null;
  const digest = state.policy.digest;
  return memo('guest/security-policy', digest, () => {
    const bytes = io.load(digest);
    assert(bytes !== undefined, 'the world keeps the installed policy in its store');
    return importSecurityPolicy(bytes);
  }, 64);
}

/**
 * A denial's `metadata` is the input's, except after a Go-side error that follows metadata
 * operations the interpreter already applied (v0.14.1's mount_overlay on a reused target).
 */
export type Enforced = Readonly<{ ok: true; metadata: PolicyMetadata; decision: Decision }>
  | Readonly<{ ok: false; refusal: Refusal; metadata: PolicyMetadata }>;

/** Refuses a denied request, keeping what the interpreter wrote before it failed (if any). */
export function denied(ctx: StepContext, state: GuestState,
  asked: Extract<Enforced, { ok: false }>): AgentStep {
  if (asked.metadata === state.metadata) return refuse(ctx, state, asked.refusal);
  emit(ctx, 'metadata_kept_after_denial', {});
  return refuse(ctx, Object.freeze({ ...state, metadata: asked.metadata }), asked.refusal);
}

/**
 * A point the dialect's api.rego does not have: the GCS of that release had no call for it and
 * acted without asking (v0.14.1 mounted read-write scratch and block devices unasked;
 * rw_mount_device and mount_blockdev came with df52d6665 and a84084d0e). Null for HEAD's points.
 */
function notAsked(ctx: StepContext, metadata: PolicyMetadata, rule: string): Enforced | null {
  const dialect = DIALECTS[ctx.env.options.dialect];
  if (!dialect.pointsAbsent.includes(rule)) return null;
  emit(ctx, rule, { allowed: true, asked: false, dialect: dialect.name }, 'policy');
  const decision: Decision = Object.freeze({ rule: rule as EnforcementPointName, allowed: true,
    source: 'api-default', framework_reasons: Object.freeze([]), delta: Object.freeze([]),
    reasons: Object.freeze([`the ${dialect.name} GCS has no ${rule} call: not asked`]),
    metadata });
  assert(decision.metadata === metadata, 'an unasked point changes no metadata');
  ctx.decision = decision;
  return { ok: true, metadata, decision };
}

/**
 * Asks the installed policy about `rule` with `input`, starting from `metadata`. Before a policy
 * is installed the closed-door enforcer denies everything.
 */
export function enforce(ctx: StepContext, state: GuestState, metadata: PolicyMetadata,
  rule: string, input: Readonly<Record<string, unknown>>): Enforced {
  const policy = installedPolicy(state, ctx.io);
  if (policy === null) {
    emit(ctx, rule, { allowed: false, enforcer: 'closed-door' }, 'policy');
    return { ok: false, metadata, refusal: refusal('policy', 'no security policy has been set: '
      + 'the closed-door enforcer denies every request', { rule }) };
  }
  const absent = notAsked(ctx, metadata, rule);
  if (absent !== null) return absent;
  let decision: Decision;
  try {
    const options = ctx.env.options;
    const evaluate = ctx.env.engine ?? evaluateEnforcementPoint;
    decision = evaluate(policy, metadata, rule, input, options.nullCommand
      === undefined ? { dialect: options.dialect }
      : { dialect: options.dialect, nullCommand: options.nullCommand });
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    emit(ctx, rule, { allowed: false, error: error.code }, 'policy');
    return { ok: false, metadata, refusal: refusal('policy', `${rule}: ${error.message}`,
      { rule, code: error.code }) };
  }
  ctx.decision = decision;
  emit(ctx, rule, { allowed: decision.allowed, reasons: [...decision.reasons],
    framework_reasons: decision.framework_reasons === null ? null
      : [...decision.framework_reasons] }, 'policy');
  if (!decision.allowed) {
    return { ok: false, metadata: decision.metadata, refusal: refusal('policy', `${rule} denied: ${
      decision.reasons.join('; ')}`, { rule }) };
  }
  return { ok: true, metadata: decision.metadata, decision };
}
