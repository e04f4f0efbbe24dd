/**
 * Models: what every framework.rego rule reads (data.policy, data.metadata, the framework
 * version gate) and what it returns (allowed, metadata actions, env_list, caps_list, ...).
 * Real counterpart: the Rego evaluation context of one enforcement-point query.
 * Differs: `reasons` are computed by each rule beside its decision (the Rego computes a separate
 *   `errors` set); the strings are the framework's, plus parma-sim explanations where the
 *   framework gives none or where a HEAD-only check denies an older trace.
 * Invariants: a denial has at least one reason and no metadata ops.
 */
import { assert } from '../../../sim/kernel/assert.js';
import type {
  CapabilitySets, ExternalProcess, FragmentReference, PolicyContainer, SecurityPolicy
} from '../policy-model.js';
import type { MetadataOp, PolicyMetadata } from '../metadata.js';
import { fragmentContainers, fragmentExternalProcesses, fragmentFragments } from '../metadata.js';
import { ENGINE_FRAMEWORK_VERSION } from '../enforcement-points.js';
import { compareSemver } from '../match/semver.js';

/** `head`: hcsshim HEAD semantics. `v0.14.1`: no target regexes, only env patterns anchored. */
export type PolicyDialect = 'head' | 'v0.14.1';

export type RuleContext = Readonly<{
  policy: SecurityPolicy;
  metadata: PolicyMetadata;
  dialect: PolicyDialect;
}>;

export type RuleResult = Readonly<{
  allowed: boolean;
  reasons: readonly string[];
  ops: readonly MetadataOp[];
  env_list?: readonly string[];
  caps_list?: CapabilitySets;
  allow_stdio_access?: boolean;
  add_module?: boolean;
}>;

export function allow(ops: readonly MetadataOp[], extra: Omit<RuleResult, 'allowed' | 'reasons'
    | 'ops'> = {}): RuleResult {
  return { allowed: true, reasons: [], ops, ...extra };
}

export function deny(reasons: readonly string[]): RuleResult {
  assert(reasons.length > 0, 'a denial names at least one reason');
  return { allowed: false, reasons, ops: [] };
}

/** framework_version gate: missing or newer than the engine's framework → no policy objects. */
export function frameworkVersionError(policy: SecurityPolicy): string | undefined {
  const version = policy.framework_version;
  if (version === '') {
    return `framework_version is missing. Current version: ${ENGINE_FRAMEWORK_VERSION}`;
  }
  const order = compareSemver(version, ENGINE_FRAMEWORK_VERSION);
  if (order === undefined) {
    return `framework_version ${JSON.stringify(version)} is not a semantic version`;
  }
  if (order > 0) {
    return `framework_version is ahead of the current version: ${version} is greater than `
      + `${ENGINE_FRAMEWORK_VERSION}`;
  }
  return undefined;
}

/** candidate_containers: policy containers (if the framework version is usable) + fragments'. */
export function candidateContainers(ctx: RuleContext): readonly PolicyContainer[] {
  const own = frameworkVersionError(ctx.policy) === undefined ? ctx.policy.containers : [];
  const fromFragments = fragmentContainers(ctx.metadata);
  return fromFragments.length === 0 ? own : [...own, ...fromFragments];
}

export function candidateExternalProcesses(ctx: RuleContext): readonly ExternalProcess[] {
  const own = frameworkVersionError(ctx.policy) === undefined ? ctx.policy.external_processes : [];
  const fromFragments = fragmentExternalProcesses(ctx.metadata);
  return fromFragments.length === 0 ? own : [...own, ...fromFragments];
}

export function candidateFragments(ctx: RuleContext): readonly FragmentReference[] {
  const own = frameworkVersionError(ctx.policy) === undefined ? ctx.policy.fragments : [];
  const fromFragments = fragmentFragments(ctx.metadata);
  return fromFragments.length === 0 ? own : [...own, ...fromFragments];
}

/** Adds the framework-version error (the Rego reports it for every rule) to a denial's reasons. */
export function withVersionReason(ctx: RuleContext, reasons: string[]): string[] {
  const error = frameworkVersionError(ctx.policy);
  if (error !== undefined) reasons.push(error);
  return reasons;
}

/** An explanation for denials of traces written before the GCS sent these fields. */
export function absentNote(absent: readonly string[]): string | undefined {
  if (absent.length === 0) return undefined;
  return `input lacks ${absent.join(', ')}: the HEAD GCS always sends them (an older trace?); `
    + `absent fields fail the checks that read them`;
}
