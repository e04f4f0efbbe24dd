/**
 * Models: framework.rego's candidate objects and its compatibility shim: policy_containers /
 * candidate_containers (apply_defaults "container" → check_container, check_signals),
 * candidate_external_processes, candidate_fragments, and deviceHash_ok's raw layer lookup.
 * Spec (b) "Compatibility shim".
 * Real counterpart: those rules at HEAD (framework 0.5.0) and v0.14.1 (framework 0.3.0).
 * Differs: the importer already gave fields the declared version predates their defaults (as
 *   check_container does); what depends on the dialect happens here: a container whose text
 *   lacks a field its framework_version has (`absent_fields`) is dropped by the shim (the
 *   rebuilt object is undefined), and HEAD's check_signals adds 9 and 15 to init signals of
 *   policies older than 0.4.1 (v0.14.1 has no such step). Base fields are required at import.
 * Invariants: a policy whose framework_version is missing, not a version, or newer than the
 *   dialect's contributes no containers, external processes or fragments; a policy of exactly
 *   the dialect's version is used as written.
 */
import { assert } from '../../../sim/kernel/assert.js';
import type {
  ExternalProcess, FragmentReference, PolicyContainer
} from '../policy-model.js';
import {
  fragmentContainers, fragmentExternalProcesses, fragmentFragments,
} from '../metadata.js';
import { compareSemver } from '../match/semver.js';
import { policyVersionOrder, type RuleContext } from './rule-context.js';

const IMPLICIT_INIT_SIGNALS: readonly number[] = Object.freeze([9, 15]);

/** The policy's own objects are used when its version is the dialect's or older. */
function policyObjectsUsable(ctx: RuleContext): boolean {
  const order = policyVersionOrder(ctx);
  return order === 0 || order === -1;
}

/** Fragment objects count unless v0.14.1's candidate rule failed as a whole. */
function fragmentsUsable(ctx: RuleContext): boolean {
  return !ctx.dialect.fragmentsNeedPolicyVersion || policyObjectsUsable(ctx);
}

function shimContainer(ctx: RuleContext, container: PolicyContainer): PolicyContainer | undefined {
  if (container.absent_fields !== undefined && container.absent_fields.length > 0) {
    return undefined;
  }
  // A dialect without the step (null) compares the version with itself: never older.
  const fw = ctx.policy.framework_version;
  if (compareSemver(fw, ctx.dialect.implicitInitSignalsBefore ?? fw) !== -1) return container;
  // array.concat(raw_container.signals, [9, 15]): duplicates are harmless to `some signal in`.
  const shimmed = { ...container, signals: [...container.signals, ...IMPLICIT_INIT_SIGNALS] };
  assert(container.signals.every((s) => shimmed.signals.includes(s)), 'signals only grow');
  assert(IMPLICIT_INIT_SIGNALS.every((s) => shimmed.signals.includes(s)));
  return shimmed;
}

/** policy_containers: as written at the dialect's version, rebuilt by the shim below it. */
function policyContainers(ctx: RuleContext): readonly PolicyContainer[] {
  const order = policyVersionOrder(ctx);
  if (order === 0) return ctx.policy.containers;
  if (order !== -1) return [];
  const out: PolicyContainer[] = [];
  for (const container of ctx.policy.containers) {
    const shimmed = shimContainer(ctx, container);
    if (shimmed !== undefined) out.push(shimmed);
  }
  assert(out.length <= ctx.policy.containers.length, 'the shim never adds containers');
  return out;
}

/** candidate_containers: the policy's (shimmed) containers, then loaded fragments'. */
export function candidateContainers(ctx: RuleContext): readonly PolicyContainer[] {
  const own = policyContainers(ctx);
  const fromFragments = fragmentsUsable(ctx) ? fragmentContainers(ctx.metadata) : [];
  assert(policyVersionOrder(ctx) === 0 || policyVersionOrder(ctx) === -1 || own.length === 0);
  const all = [...own, ...fromFragments];
  assert(all.length === own.length + fromFragments.length);
  return all;
}

export function candidateExternalProcesses(ctx: RuleContext): readonly ExternalProcess[] {
  const own = policyObjectsUsable(ctx) ? ctx.policy.external_processes : [];
  const fromFragments = fragmentsUsable(ctx) ? fragmentExternalProcesses(ctx.metadata) : [];
  return [...own, ...fromFragments];
}

export function candidateFragments(ctx: RuleContext): readonly FragmentReference[] {
  // load_fragment keeps the candidates whose issuer equals the request's (a string): an item
  // with no issuer, such as a stray string, is never one of them.
  // Stryker disable next-line ArrayDeclaration: an item without issuer matches no request
  const own = policyObjectsUsable(ctx) ? ctx.policy.fragments : [];
  // Stryker disable next-line ArrayDeclaration: an item without issuer matches no request
  const fromFragments = fragmentsUsable(ctx) ? fragmentFragments(ctx.metadata) : [];
  return [...own, ...fromFragments];
}

/**
 * deviceHash_ok: a layer of any container the policy text lists (read raw: no version gate, no
 * shim) or of a loaded fragment's container.
 */
export function layerKnown(ctx: RuleContext, deviceHash: string): boolean {
  for (const container of ctx.policy.containers) {
    if (container.layers.includes(deviceHash)) return true;
  }
  return fragmentContainers(ctx.metadata).some((c) => c.layers.includes(deviceHash));
}
