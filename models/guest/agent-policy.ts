/**
 * Models: installing the security policy and loading fragments (spec c "load_fragment", spec d
 * SecurityPolicy / SecurityPolicyFragment): hcsshim SecurityOptions.SetConfidentialOptions
 * (once; SHA-256 of the decoded policy must equal the HOST_DATA of the guest's own report; then
 * the enforcer is created) and InjectFragment (COSE_Sign1 envelope, then load_fragment twice).
 * Real counterpart: pkg/securitypolicy securityoptions.go, amdsevsnp.ValidateHostData.
 * Differs: the report's HOST_DATA was fetched at boot (GuestState.ownReport) rather than per
 * request; the policy text is imported by models/policy and kept in the content store by digest
 * (the step returns it as a blob); transparency trust lists are not modelled (refused), other
 * reference-info media types are accepted and not stored.
 * Invariants: the policy is installed at most once (unless `policy_once` is off); an installed
 * policy's digest equals ownReport.host_data (unless `policy_host_data` is off); installing
 * starts from empty metadata; a refused request changes nothing.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import { loadSignedFragment } from '../policy/fragment-load.js';
import { importSecurityPolicy } from '../policy/load-policy.js';
import { emptyMetadata } from '../policy/metadata.js';
import type {
  SecurityPolicyFragmentSettings, SecurityPolicySettings,
} from './bridge-protocol.js';
import { refusal, type AgentStep } from './agent-step.js';
import {
  checkOn, emit, installedPolicy, refuse, succeed, type StepContext,
} from './agent-context.js';
import { uvmTransition } from './uvm-lifecycle.js';
import { withRecord } from './guest-state.js';

/** The default fragment media type (guestresource.SecurityPolicyFragment). */
export const FRAGMENT_MEDIA_TYPE = 'application/cose-x509+rego';
export const TRUST_LIST_MEDIA_TYPE = 'application/vnd.transparency-trust-list.v1+cose';

/**
 * Go base64.StdEncoding.DecodeString (CR and LF are skipped); null when it is not base64.
 * Canonical padding bits are required (Go ignores them: a deliberate strictness here).
 */
export function decodeStdBase64(text: string): Uint8Array | null {
  const compact = text.replace(/[\r\n]/g, '');
  const bytes = Buffer.from(compact, 'base64');
  // Node skips characters outside the alphabet and accepts missing padding; re-encoding (always
  // padded to a multiple of 4) shows whether there were any.
  if (bytes.toString('base64') !== compact) return null;
  assert(bytes.length <= (compact.length / 4) * 3, 'base64 shrinks');
  return new Uint8Array(bytes);
}

/** ModifySettings SecurityPolicy: SetConfidentialOptions. */
export function policySettings(ctx: StepContext, s: SecurityPolicySettings): AgentStep {
  const state = ctx.start;
  if (state.policy !== null && checkOn(ctx, 'policy_once')) {
    return refuse(ctx, state, refusal('structure', 'security policy has already been set',
      { check: 'policy_once' }));
  }
  const decoded = memo('guest/policy-base64', s.EncodedSecurityPolicy, () => {
    const bytes = decodeStdBase64(s.EncodedSecurityPolicy);
    return bytes === null ? null
      : { bytes, digest: createHash('sha256').update(bytes).digest('hex') };
  }, 64);
  if (decoded === null) {
    return refuse(ctx, state, refusal('message', 'EncodedSecurityPolicy is not standard base64',
      { code: 'GUEST_BAD_MESSAGE' }));
  }
  const { bytes, digest } = decoded;
  assert(state.ownReport !== null, 'a serving guest fetched its own report at boot');
  const hostData = state.ownReport.host_data;
  if (digest !== hostData && checkOn(ctx, 'policy_host_data')) {
    return refuse(ctx, state, refusal('structure', `security policy digest ${digest} does not `
      + `match HOST_DATA ${hostData} of the guest's own report`, { check: 'policy_host_data' }));
  }
  try {
    memo('guest/security-policy', digest, () => importSecurityPolicy(bytes), 64);
  } catch (error) {
    assert(error instanceof SimError, `the importer throws only SimErrors: ${String(error)}`);
    return refuse(ctx, state, refusal('policy', `error creating security policy enforcer: ${
      error.message}`, { code: error.code }));
  }
  const next = Object.freeze({
    ...state, policy: Object.freeze({ digest, enforcerType: s.EnforcerType }),
    metadata: emptyMetadata(), uvm: uvmTransition(state.uvm, { type: 'POLICY_SET' }),
  });
  ctx.blobs.push(Object.freeze({ digest, bytes }));
  emit(ctx, 'security_policy_set', { digest, host_data: hostData });
  assert(next.policy.digest === digest, 'installed by digest');
  return succeed(ctx, next);
}

/** ModifySettings SecurityPolicyFragment: InjectFragment. */
export function policyFragment(ctx: StepContext, s: SecurityPolicyFragmentSettings): AgentStep {
  const state = ctx.start;
  const mediaType = s.MediaType === '' ? FRAGMENT_MEDIA_TYPE : s.MediaType;
  if (mediaType === TRUST_LIST_MEDIA_TYPE) {
    return refuse(ctx, state, refusal('policy', 'load_transparency_trust_list is not modelled',
      { rule: 'load_transparency_trust_list' }));
  }
  if (mediaType !== FRAGMENT_MEDIA_TYPE) {
    emit(ctx, 'reference_info_received', { mediaType: mediaType.slice(0, 120) });
    return succeed(ctx, state);
  }
  const policy = installedPolicy(state, ctx.io);
  if (policy === null) {
    emit(ctx, 'load_fragment', { allowed: false, enforcer: 'closed-door' }, 'policy');
    return refuse(ctx, state, refusal('policy', 'no security policy has been set: the '
      + 'closed-door enforcer denies every request', { rule: 'load_fragment' }));
  }
  const outcome = loadSignedFragment(policy, state.metadata, s.Fragment);
  assert(outcome.allowed || outcome.metadata === state.metadata, 'a denial changes nothing');
  if (outcome.decision !== undefined) ctx.decision = outcome.decision;
  emit(ctx, 'load_fragment', { allowed: outcome.allowed, stage: outcome.stage,
    reasons: [...outcome.reasons], issuer: outcome.fragment?.issuer ?? null,
    feed: outcome.fragment?.feed ?? null }, 'policy');
  if (!outcome.allowed) {
    const why = `load_fragment denied at ${outcome.stage}: ${outcome.reasons.join('; ')}`;
    return refuse(ctx, state, refusal('policy', why,
      { rule: 'load_fragment', code: outcome.code }));
  }
  assert(outcome.metadata !== state.metadata, 'a loaded fragment adds to the metadata');
  const fragment = outcome.fragment;
  assert(fragment !== undefined, 'a loaded fragment was verified');
  const text = new TextEncoder().encode(fragment.payloadText);
  const digest = createHash('sha256').update(text).digest('hex');
  ctx.blobs.push(Object.freeze({ digest, bytes: text }));
  const loaded = Object.freeze({ issuer: fragment.issuer, feed: fragment.feed,
    namespace: fragment.namespace, svn: fragment.svn === undefined ? null : String(fragment.svn),
    text: digest });
  return succeed(ctx, Object.freeze({ ...state, metadata: outcome.metadata,
    fragments: withRecord(state.fragments, digest, loaded) }));
}
