/**
 * Models: the GCS path for a host-supplied policy fragment (hcsshim Host.InjectFragment →
 * ExtractAndVerifyFragment → regoEnforcer.LoadFragment): verify the envelope, ask load_fragment
 * with fragment_loaded=false (issuer, feed, header SVN), load the module, ask again with
 * fragment_loaded=true (module SVN, framework_version, includes), keep the metadata of the second
 * call. See shared/spec/policy.md (c) load_fragment and (e) 2025 hardening.
 * Real counterpart: the GCS bridge handler for a LCOWSecurityPolicyFragment resource.
 * Differs: "loading the module" is importing its data with the policy importer (import-rego.ts);
 * the module is never executed, so a fragment cannot define rules (only data). An envelope or
 * import failure is returned as a denial value with its SimError code, like a Rego denial.
 * Invariants: pure; a denial at any stage returns the metadata object passed in; the metadata
 * changes only through the second load_fragment decision.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError, type SimErrorCode } from '../../sim/kernel/errors.js';
import { evaluateEnforcementPoint, type Decision } from './engine.js';
import { verifyFragmentEnvelope, type VerifiedFragment } from './fragment-envelope.js';
import { importRegoPolicy } from './import-rego.js';
import type { PolicyMetadata } from './metadata.js';
import type { SecurityPolicy } from './policy-model.js';

export type FragmentLoadStage = 'envelope' | 'issuer-feed' | 'import' | 'module';

export type FragmentLoadOutcome = Readonly<{
  allowed: boolean;
  /** The stage that decided: the last one reached. */
  stage: FragmentLoadStage;
  reasons: readonly string[];
  /** The SimError code of an envelope or import failure. */
  code?: SimErrorCode;
  /** The metadata after loading; the very object passed in when denied. */
  metadata: PolicyMetadata;
  fragment?: VerifiedFragment;
  decision?: Decision;
}>;

function refused(stage: FragmentLoadStage, error: unknown, metadata: PolicyMetadata,
    fragment?: VerifiedFragment): FragmentLoadOutcome {
  if (!(error instanceof SimError)) throw error;
  return { allowed: false, stage, reasons: [error.message], code: error.code, metadata,
    ...(fragment === undefined ? {} : { fragment }) };
}

/** The fragment module's data in the shape load_fragment's second call reads. */
function fragmentDocument(module: SecurityPolicy): Readonly<Record<string, unknown>> {
  return {
    svn: module.svn,
    framework_version: module.framework_version === '' ? null : module.framework_version,
    containers: module.containers,
    fragments: module.fragments,
    external_processes: module.external_processes,
  };
}

/**
 * Loads a signed fragment (COSE_Sign1 bytes or base64) into `metadata` under `policy`, as the GCS
 * does. Returns a value: allowed with the new metadata, or denied with the stage and reasons.
 */
export function loadSignedFragment(policy: SecurityPolicy, metadata: PolicyMetadata,
    envelope: Uint8Array | string): FragmentLoadOutcome {
  let fragment: VerifiedFragment;
  try {
    fragment = verifyFragmentEnvelope(envelope);
  } catch (error) {
    return refused('envelope', error, metadata);
  }
  const base = {
    issuer: fragment.issuer, feed: fragment.feed, namespace: fragment.namespace,
    // Stryker disable next-line ConditionalExpression: strOrNum reads header_svn undefined as none
    ...(fragment.svn === undefined ? {} : { header_svn: fragment.svn }),
  };
  const first = evaluateEnforcementPoint(policy, metadata, 'load_fragment',
    { ...base, fragment_loaded: false });
  if (!first.allowed) {
    return { allowed: false, stage: 'issuer-feed', reasons: first.reasons, metadata, fragment,
      decision: first };
  }
  assert(first.metadata === metadata, 'load_fragment call 1 writes nothing');
  let module: SecurityPolicy;
  try {
    module = importRegoPolicy(fragment.payloadText);
  } catch (error) {
    return refused('import', error, metadata, fragment);
  }
  assert(module.package_name === fragment.namespace, 'the importer read the same package line');
  const second = evaluateEnforcementPoint(policy, metadata, 'load_fragment', {
    ...base, fragment_loaded: true, fragment: fragmentDocument(module),
  });
  if (!second.allowed) {
    return { allowed: false, stage: 'module', reasons: second.reasons, metadata, fragment,
      decision: second };
  }
  return { allowed: true, stage: 'module', reasons: [], metadata: second.metadata, fragment,
    decision: second };
}
