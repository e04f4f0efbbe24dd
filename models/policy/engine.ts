/**
 * Models: the hcsshim policy enforcer (securitypolicyenforcer_rego.go `enforce`, framework.rego,
 * api.rego, the interpreter's metadata actions) as one pure function: (policy, metadata, rule,
 * input) → decision. Spec (c); the procedure of policy-decisions.SOURCES.md ("Go-side decision
 * procedure").
 * Real counterpart: query data.policy.<rule> (metadata applied as part of the query), then
 *   applyDefaults (enforcement_point_info: unknown / invalid / version_missing → Go error; rule
 *   missing although the policy's API has it → Go error; use_framework; default_results), then
 *   `allowed`, and after a denial the data.policy.reason query.
 * Differs: no OPA: each framework rule is a TypeScript rule in rules/, per dialect; Windows points
 *   are not modelled; a constant-bound rule (`rule := {"allowed": true}`) emits no metadata.
 *   HEAD's Go-side WithMetadataRollback around mounts is not modelled (nor is it in the
 *   reference vectors); HEAD's framework checks before it emits, so its operations do not fail.
 * Invariants: a denial has at least one reason and an empty delta; it returns the very metadata
 *   object it was given, except after a Go-side error that follows a policy query whose metadata
 *   operations already ran (the interpreter changes its data in place: v0.14.1's mount_overlay on
 *   a reused target keeps its matches entry). `framework_reasons` is what the GCS reports: the
 *   framework's errors set (sorted), the Go error as a one-element list, or null when the policy
 *   defines no `reason`. Hostile input throws SimError (POLICY_BAD_INPUT / POLICY_UNKNOWN_RULE)
 *   and changes nothing.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { CapabilitySets, RuleBinding, SecurityPolicy } from './policy-model.js';
import { applyMetadataOps, type MetadataOp, type PolicyMetadata } from './metadata.js';
import {
  ENFORCEMENT_POINTS, ENFORCEMENT_POINT_NAMES, isEnforcementPointName, type EnforcementPointName,
} from './enforcement-points.js';
import { DIALECTS, POLICY_DIALECTS, type PolicyDialect } from './dialect.js';
import { compareSemver } from './match/semver.js';
import {
  frameworkVersionErrors, type FrameworkRule, type NullCommandReading, type PreparedRule,
    type RuleContext, type RuleOutcome,
} from './rules/rule-context.js';
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

export type { PolicyDialect } from './dialect.js';
export type { NullCommandReading } from './rules/rule-context.js';

export type EngineOptions = Readonly<{
  dialect?: PolicyDialect;
  /** How `command: null` reads; default `framework` (no argv matches), see NullCommandReading. */
  nullCommand?: NullCommandReading;
}>;

/** How the decision was reached. `go-error`: a Go-side error of the enforcer (see header). */
export type DecisionSource = 'framework' | 'constant' | 'api-default' | 'rule-missing'
  | 'allow-all' | 'go-error';

export type Decision = Readonly<{
  rule: EnforcementPointName;
  allowed: boolean;
  source: DecisionSource;
  /** parma-sim's explanation: the framework's reasons, then its own notes. */
  reasons: readonly string[];
  /** What the GCS reports for a denial (empty when allowed); null: the policy has no `reason`. */
  framework_reasons: readonly string[] | null;
  /** The metadata actions applied (empty when denied). */
  delta: readonly MetadataOp[];
  /** The metadata after the decision (see the header for denials). */
  metadata: PolicyMetadata;
  env_list?: readonly string[];
  caps_list?: CapabilitySets;
  allow_stdio_access?: boolean;
  add_module?: boolean;
}>;

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
 * enforcement_point_info's static part: absent from the dialect's api.rego. Its `invalid` (a point
 * newer than the dialect's api_version) cannot happen here: every point newer than a dialect's API
 * is one its api.rego lacks (asserted below), so it is `absent` first.
 */
type PointStatus = 'ok' | 'absent';
const POINT_STATUS: Readonly<Record<PolicyDialect, Readonly<Record<string, PointStatus>>>> =
  Object.freeze(Object.fromEntries(POLICY_DIALECTS.map((d) => [d, Object.freeze(
    Object.fromEntries(ENFORCEMENT_POINT_NAMES.map((name) => [name,
      DIALECTS[d].pointsAbsent.includes(name) ? 'absent' : 'ok'])))])) as
    Record<PolicyDialect, Record<string, PointStatus>>);

assert(POLICY_DIALECTS.every((d) => ENFORCEMENT_POINT_NAMES.every((name) =>
  DIALECTS[d].pointsAbsent.includes(name)
    || compareSemver(DIALECTS[d].apiVersion, ENFORCEMENT_POINTS[name].introducedVersion) !== -1)),
'a point newer than a dialect\'s API is absent from it (never "invalid")');

/** One evaluation: the context, the rule bound to its parsed input, and the rule's name. */
type Query = Readonly<{ ctx: RuleContext; rule: EnforcementPointName; prepared: PreparedRule }>;

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
  const ctx: RuleContext = { policy, metadata, dialect: DIALECTS[options.dialect ?? 'head'],
    nullCommand: options.nullCommand ?? 'framework' };
  assert(ctx.dialect !== undefined, 'a known dialect');
  assert(ctx.nullCommand === 'framework' || ctx.nullCommand === 'empty-argv');
  const q: Query = { ctx, rule, prepared: FRAMEWORK_RULES[rule](input) };   // validates input
  // allow_all is the legacy JSON open-door enforcer. A Rego policy of constant allows is judged
  // through its bindings (and their outputs) and the api.rego defaults for rules it does not bind.
  if (policy.allow_all) return allowed(q, 'allow-all', metadata, [], {});
  const binding = Object.hasOwn(policy.rules, rule) ? policy.rules[rule] : undefined;
  if (binding?.kind === 'framework' && POINT_STATUS[ctx.dialect.name][rule] !== 'absent') {
    const outcome = q.prepared.decide(ctx);
    if (!outcome.allowed) {
      return defaulted(q, 'framework', { allowed: false, notes: outcome.notes });
    }
    const applied = applyMetadataOps(metadata, outcome.ops);
    if (applied.error !== undefined) {
      return goError(q, `error applying metadata operations: ${applied.error}`, applied.metadata,
        'framework');
    }
    return defaulted(q, 'framework', { allowed: true, outcome, metadata: applied.metadata });
  }
  if (binding?.kind === 'constant') {
    return defaulted(q, 'constant', { allowed: binding.allowed, constant: binding });
  }
  return defaulted(q, 'api-default', undefined);   // the policy query's result is empty
}

/** What data.policy.<rule> gave: nothing (undefined), a framework outcome or a constant. */
type PolicyResult = Readonly<{
  allowed: boolean; notes?: readonly string[]; outcome?: RuleOutcome;
  constant?: Extract<RuleBinding, { kind: 'constant' }>; metadata?: PolicyMetadata;
}>;

/** applyDefaults: enforcement_point_info, then default_results overlaid with the result. */
function defaulted(q: Query, source: DecisionSource, result: PolicyResult | undefined): Decision {
  const { ctx, rule } = q;
  const after = result?.metadata ?? ctx.metadata;
  const apiVersion = ctx.policy.api_version;
  const info = ENFORCEMENT_POINTS[rule];
  if (apiVersion === '') return goError(q, 'policy does not define api_version', after);
  const available = compareSemver(apiVersion, info.introducedVersion);
  const status = POINT_STATUS[ctx.dialect.name][rule];
  if (status === 'absent' || available === undefined) {
    return goError(q, `enforcement point rule ${rule} does not exist`, after);
  }
  if (result === undefined && available >= 0) {
    return goError(q, `rule for ${rule} is missing from policy`, ctx.metadata, 'rule-missing');
  }
  if (result === undefined && info.defaultResults === null) {
    return evaluateFramework(q);
  }
  assert(info.defaultResults !== null || result !== undefined);
  const defaults: Defaults = info.defaultResults ?? {};
  const allowedNow = result === undefined ? info.defaultResults!.allowed : result.allowed;
  if (!allowedNow) return denied(q, source, result?.notes ?? []);
  if (result?.outcome !== undefined) {
    return allowed(q, source, after, result.outcome.ops, outputsOf(result.outcome, defaults));
  }
  return allowed(q, source, after, [], constantOutputs(result?.constant, defaults));
}

/** use_framework (rw_mount_device / rw_unmount_device): data.framework.<rule> is queried. */
function evaluateFramework(q: Query): Decision {
  assert(ENFORCEMENT_POINTS[q.rule].defaultResults === null, 'only use_framework points');
  const outcome = q.prepared.decide(q.ctx);
  if (!outcome.allowed) return denied(q, 'framework', outcome.notes);
  const applied = applyMetadataOps(q.ctx.metadata, outcome.ops);
  // Only HEAD has these points, and its rw rules check the target before they add or remove it.
  assert(applied.error === undefined, 'a use_framework rule\'s operations apply');
  return allowed(q, 'framework', applied.metadata, outcome.ops, outputsOf(outcome, {}));
}

type Outputs = Pick<Decision, 'env_list' | 'caps_list' | 'allow_stdio_access' | 'add_module'>;

type MutableOutputs = { -readonly [K in keyof Outputs]: Outputs[K] };
type Defaults = Readonly<{ allow_stdio_access?: boolean; add_module?: boolean }>;

/** default_results overlaid with what the rule returned (undefined: neither sets it). */
function outputsOf(outcome: RuleOutcome, defaults: Defaults): Outputs {
  return { env_list: outcome.env_list, caps_list: outcome.caps_list,
    allow_stdio_access: outcome.allow_stdio_access ?? defaults.allow_stdio_access,
    add_module: outcome.add_module ?? defaults.add_module };
}

/**
 * default_results overlaid with a constant rule's outputs that the GCS reads (env_list null
 * means "keep every variable", as absent does).
 */
function constantOutputs(binding: Extract<RuleBinding, { kind: 'constant' }> | undefined,
    defaults: Defaults): Outputs {
  const out: MutableOutputs = { allow_stdio_access: defaults.allow_stdio_access,
    add_module: defaults.add_module };
  if (binding === undefined) return out;
  const env = binding.outputs['env_list'];
  if (Array.isArray(env) && env.every((e) => typeof e === 'string')) {
    out.env_list = env as string[];
  }
  const stdio = binding.outputs['allow_stdio_access'];
  if (typeof stdio === 'boolean') out.allow_stdio_access = stdio;
  const addModule = binding.outputs['add_module'];
  if (typeof addModule === 'boolean') out.add_module = addModule;
  return out;
}

function allowed(q: Query, source: DecisionSource, metadata: PolicyMetadata,
    ops: readonly MetadataOp[], outputs: Outputs): Decision {
  assert(ops.length === 0 ? metadata === q.ctx.metadata : metadata !== q.ctx.metadata,
    'the metadata changes exactly when operations were applied');
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = { rule: q.rule,
    allowed: true, source, reasons: [], framework_reasons: [], delta: ops, metadata };
  if (outputs.env_list !== undefined) decision.env_list = outputs.env_list;
  if (outputs.caps_list !== undefined) decision.caps_list = outputs.caps_list;
  if (outputs.allow_stdio_access !== undefined) {
    decision.allow_stdio_access = outputs.allow_stdio_access;
  }
  if (outputs.add_module !== undefined) decision.add_module = outputs.add_module;
  assert(decision.framework_reasons !== null && decision.framework_reasons.length === 0);
  return decision;
}

/** `allowed` false: the GCS asks data.policy.reason, whose errors are the framework's. */
function denied(q: Query, source: DecisionSource, notes: readonly string[]): Decision {
  const { ctx, rule } = q;
  const errors = [...new Set([...q.prepared.errors(ctx), ...frameworkVersionErrors(ctx)])].sort();
  const framework_reasons = ctx.policy.reason_errors ? errors : null;
  assert(errors.every((e, i) => i === 0 || errors[i - 1]! < e), 'reasons sorted, each once');
  const reasons = [...errors, ...notes.filter((n) => !errors.includes(n))];
  if (source === 'constant' && reasons.length === 0) {
    reasons.push(`${rule} is bound to a constant deny in the policy`);
  } else if (source === 'api-default' && reasons.length === 0) {
    reasons.push(`${rule} was introduced in api ${ENFORCEMENT_POINTS[rule].introducedVersion}; `
      + `policy api_version ${ctx.policy.api_version} predates it and its default is deny`);
  } else if (reasons.length === 0) {
    reasons.push(`${rule} denied: the framework gives no reason for this request`);
  }
  assert(reasons.length > 0, `a denial of ${rule} names a reason`);
  return { rule, allowed: false, source, reasons, framework_reasons, delta: [],
    metadata: ctx.metadata };
}

/** A Go-side error: the GCS reports it alone, and no reason query runs. */
function goError(q: Query, error: string, metadata: PolicyMetadata,
    source: DecisionSource = 'go-error'): Decision {
  assert(metadata === q.ctx.metadata || q.ctx.dialect.name === 'v0.14.1'
    || !error.startsWith('error applying'), 'HEAD rules check before they emit');
  return { rule: q.rule, allowed: false, source, reasons: [error], framework_reasons: [error],
    delta: [], metadata };
}
