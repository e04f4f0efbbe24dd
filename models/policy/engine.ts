/**
 * Models: the hcsshim policy enforcer (securitypolicyenforcer_rego.go + framework.rego +
 * api.rego) as one pure function: (policy, metadata, rule, input) → decision. Spec (c).
 * Real counterpart: regoEnforcer.enforce → OPA query of data.policy[rule], metadata applied.
 * Differs: no OPA: each framework rule is a TypeScript reducer in rules/; Windows points are not
 *   modelled; a constant-bound rule (`rule := {"allowed": true}`) emits no metadata.
 * Invariants: a denial returns the metadata object it was given (identical, not a copy) and an
 *   empty delta; an allowed decision's metadata = applyMetadataOps(old, delta); every denial has
 *   at least one reason. Hostile input throws SimError (POLICY_BAD_INPUT / POLICY_UNKNOWN_RULE /
 *   POLICY_BAD_REGEX) and changes nothing.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { CapabilitySets, SecurityPolicy } from './policy-model.js';
import { applyMetadataOps, type MetadataOp, type PolicyMetadata } from './metadata.js';
import {
  ENFORCEMENT_POINTS, ENFORCEMENT_POINT_NAMES, isEnforcementPointName, type EnforcementPointName,
} from './enforcement-points.js';
import { compareSemver } from './match/semver.js';
import type { PolicyDialect, RuleContext, RuleResult } from './rules/rule-context.js';
import {
  blockdev, mountDevice, rwMountDevice, rwUnmountDevice, unmountDevice
} from './rules/devices.js';
import { mountOverlay, unmountOverlay } from './rules/overlay.js';
import { scratchMount, scratchUnmount } from './rules/scratch.js';
import { createContainer } from './rules/container.js';
import { execExternal, execInContainer, shutdownContainer } from './rules/exec.js';
import { signalContainerProcess } from './rules/signals.js';
import { plan9Mount, plan9Unmount } from './rules/plan9.js';
import { flagRule } from './rules/flags.js';
import { loadFragment } from './rules/fragments.js';

export type { PolicyDialect } from './rules/rule-context.js';

export type EngineOptions = Readonly<{ dialect?: PolicyDialect }>;

/** How the decision was reached. */
export type DecisionSource = 'framework' | 'constant' | 'api-default' | 'rule-missing'
  | 'allow-all';

export type Decision = Readonly<{
  rule: EnforcementPointName;
  allowed: boolean;
  source: DecisionSource;
  reasons: readonly string[];
  /** The metadata actions applied (empty when denied). */
  delta: readonly MetadataOp[];
  /** The metadata after the decision; the very object passed in when denied. */
  metadata: PolicyMetadata;
  env_list?: readonly string[];
  caps_list?: CapabilitySets;
  allow_stdio_access?: boolean;
  add_module?: boolean;
}>;

type FrameworkRule = (ctx: RuleContext, input: unknown) => RuleResult;

const FRAMEWORK_RULES: Readonly<Record<EnforcementPointName, FrameworkRule>> = {
  mount_device: mountDevice,
  rw_mount_device: rwMountDevice,
  mount_overlay: mountOverlay,
  create_container: createContainer,
  unmount_device: unmountDevice,
  rw_unmount_device: rwUnmountDevice,
  mount_blockdev: blockdev('mount_blockdev'),
  unmount_blockdev: blockdev('unmount_blockdev'),
  unmount_overlay: unmountOverlay,
  exec_in_container: execInContainer,
  exec_external: execExternal,
  shutdown_container: shutdownContainer,
  signal_container_process: signalContainerProcess,
  plan9_mount: plan9Mount,
  plan9_unmount: plan9Unmount,
  get_properties: flagRule('get_properties', 'allow_properties_access'),
  dump_stacks: flagRule('dump_stacks', 'allow_dump_stacks'),
  runtime_logging: flagRule('runtime_logging', 'allow_runtime_logging'),
  load_fragment: loadFragment,
  scratch_mount: scratchMount,
  scratch_unmount: scratchUnmount,
  host_network: flagRule('host_network', 'allow_host_network'),
};

assert(Object.keys(FRAMEWORK_RULES).length === ENFORCEMENT_POINT_NAMES.length,
  'every point has a rule');

/**
 * Evaluates one enforcement point. Pure: the same arguments give the same decision, and the
 * arguments are never mutated.
 */
export function evaluateEnforcementPoint(
  policy: SecurityPolicy, metadata: PolicyMetadata, rule: string, input: unknown,
    options: EngineOptions = {},
): Decision {
  if (!isEnforcementPointName(rule)) {
    throw new SimError('POLICY_UNKNOWN_RULE', { rule }, `${JSON.stringify(rule)} is not an `
      + `enforcement point (known: ${ENFORCEMENT_POINT_NAMES.join(', ')})`);
  }
  const ctx: RuleContext = { policy, metadata, dialect: options.dialect ?? 'head' };
  const framework = FRAMEWORK_RULES[rule];
  // allow_all is the legacy JSON open-door enforcer. A Rego policy of constant allows is judged
  // through its bindings (and their outputs) and the api.rego defaults for rules it does not bind.
  if (policy.allow_all) {
    if (input === null || typeof input !== 'object') framework(ctx, input);   // still a typed error
    return decided(rule, 'allow-all', metadata, { allowed: true, reasons: [], ops: [] });
  }
  const binding = Object.hasOwn(policy.rules, rule) ? policy.rules[rule] : undefined;
  if (binding?.kind === 'framework') {
    return decided(rule, 'framework', metadata, framework(ctx, input));
  }
  if (binding?.kind === 'constant') {
    framework(ctx, input);   // validates the input shape; its result is not used
    const reasons = binding.allowed ? [] : [`${rule} is bound to a constant deny in the policy`];
    // Of the constant's other keys only allow_stdio_access changes what the GCS does; env_list
    // null (the allow-all policies) means "keep every variable", which is the default anyway.
    const stdio = binding.outputs['allow_stdio_access'];
    return decided(rule, 'constant', metadata, {
      allowed: binding.allowed, reasons, ops: [], ...(typeof stdio === 'boolean' && binding.allowed
        ? { allow_stdio_access: stdio } : {}),
    });
  }
  return unbound(ctx, rule, input, framework);
}

/** api.rego versioning for a rule the policy does not bind. */
function unbound(ctx: RuleContext, rule: EnforcementPointName, input: unknown,
    framework: FrameworkRule): Decision {
  const info = ENFORCEMENT_POINTS[rule];
  const apiVersion = ctx.policy.api_version;
  if (apiVersion === '' || compareSemver(apiVersion, '0.0.0') === undefined) {
    return decided(rule, 'rule-missing', ctx.metadata,
      { allowed: false, reasons: ['policy api_version is missing or invalid: every query fails'],
      ops: [] });
  }
  if (compareSemver(apiVersion, info.introducedVersion)! >= 0) {
    return decided(rule, 'rule-missing', ctx.metadata,
      { allowed: false, reasons: [`rule for ${rule} is missing from policy`], ops: [] });
  }
  if (info.useFramework) return decided(rule, 'framework', ctx.metadata, framework(ctx, input));
  assert(info.defaultAllowed !== null);
  framework(ctx, input);   // validates the input shape
  const reasons = info.defaultAllowed ? [] : [
    `${rule} was introduced in api ${info.introducedVersion}; policy api_version ${apiVersion} `
      + `predates it and its default is deny`,
  ];
  return decided(rule, 'api-default', ctx.metadata,
    { allowed: info.defaultAllowed, reasons, ops: [] });
}

function decided(rule: EnforcementPointName, source: DecisionSource, metadata: PolicyMetadata,
    result: RuleResult): Decision {
  if (!result.allowed) {
    assert(result.reasons.length > 0, `a denial of ${rule} names a reason`);
    assert(result.ops.length === 0, 'a denial emits no metadata actions');
    return { rule, allowed: false, source, reasons: result.reasons, delta: [], metadata };
  }
  const applied = applyMetadataOps(metadata, result.ops);
  if (!applied.ok) {
    return { rule, allowed: false, source, reasons: [applied.reason], delta: [], metadata };
  }
  assert(result.ops.length === 0 ? applied.metadata === metadata : applied.metadata !== metadata);
  const { allowed: _a, reasons: _r, ops, ...outputs } = result;
  return { rule, allowed: true, source, reasons: [], delta: ops, metadata: applied.metadata,
    ...outputs };
}
