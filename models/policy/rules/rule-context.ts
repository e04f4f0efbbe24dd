/**
 * Models: what every framework.rego rule reads (data.policy, data.metadata, the framework
 * version gate, is_linux) and the two queries the GCS makes of a rule: the rule itself
 * (allowed, metadata actions, env_list, caps_list, ...) and, after a denial, `reason.errors`.
 * Real counterpart: the Rego evaluation context of one enforcement-point query and of the
 *   follow-up data.policy.reason query (same input plus `rule`, same metadata).
 * Differs: a rule also returns `notes`: parma-sim's own explanations where the framework says
 *   nothing or says something misleading; they never change a decision.
 * Invariants: a denial emits no metadata ops; `errors` is computed from the same input and
 *   metadata as the decision, as the reason query sees them.
 */
import type { CapabilitySets, SecurityPolicy } from '../policy-model.js';
import type { MetadataOp, PolicyMetadata } from '../metadata.js';
import type { DialectInfo } from '../dialect.js';
import { compareSemver } from '../match/semver.js';

/**
 * How `command: null` (az confcom's "the image sets no command") is read. `framework`: as the
 * real framework, where count(null) is undefined, so no argv ever matches. `empty-argv`: the
 * lenient reading, where it matches exactly the empty argv (the image's own default process).
 */
export type NullCommandReading = 'framework' | 'empty-argv';

export type RuleContext = Readonly<{
  policy: SecurityPolicy;
  metadata: PolicyMetadata;
  dialect: DialectInfo;
  nullCommand: NullCommandReading;
}>;

export type RuleOutcome = Readonly<{
  allowed: boolean;
  ops: readonly MetadataOp[];
  /** parma-sim's explanations beyond the framework's errors (denials only). */
  notes: readonly string[];
  env_list?: readonly string[];
  caps_list?: CapabilitySets;
  allow_stdio_access?: boolean;
  add_module?: boolean;
}>;

/** A framework rule: input parsing, the decision, and its part of framework.rego `errors`. */
export type RuleDefinition<I> = Readonly<{
  parse: (input: unknown) => I;
  decide: (ctx: RuleContext, request: I) => RuleOutcome;
  errors: (ctx: RuleContext, request: I) => readonly string[];
}>;

/** A rule bound to one parsed input: both queries over the same request. */
export type PreparedRule = Readonly<{
  decide: (ctx: RuleContext) => RuleOutcome;
  errors: (ctx: RuleContext) => readonly string[];
}>;

export type FrameworkRule = (input: unknown) => PreparedRule;

/** Parses the input once (SimError on a wrong shape); both queries then read the same request. */
export function defineRule<I>(definition: RuleDefinition<I>): FrameworkRule {
  return (input) => {
    const request = definition.parse(input);
    return {
      decide: (ctx) => definition.decide(ctx, request),
      errors: (ctx) => definition.errors(ctx, request),
    };
  };
}

export function allow(ops: readonly MetadataOp[], extra: Omit<RuleOutcome, 'allowed' | 'notes'
    | 'ops'> = {}): RuleOutcome {
  // Stryker disable next-line ArrayDeclaration: the engine reads the notes of denials only
  return { allowed: true, notes: [], ops, ...extra };
}

export function deny(notes: readonly string[] = []): RuleOutcome {
  // Stryker disable next-line ArrayDeclaration: the engine applies allowed outcomes' ops only
  return { allowed: false, notes, ops: [] };
}

/** semver.compare(policy framework_version, framework version); undefined when either fails. */
export function policyVersionOrder(ctx: RuleContext): -1 | 0 | 1 | undefined {
  return compareSemver(ctx.policy.framework_version, ctx.dialect.frameworkVersion);
}

/** errors[framework_version_error]: reported by the reason query of every rule. */
export function frameworkVersionErrors(ctx: RuleContext): readonly string[] {
  const version = ctx.policy.framework_version;
  const current = ctx.dialect.frameworkVersion;
  if (version === '') return [`framework_version is missing. Current version: ${current}`];
  if (policyVersionOrder(ctx) === 1) {
    return [`framework_version is ahead of the current version: ${version} is greater than `
      + current];
  }
  return [];
}

/** is_linux: some operatingsystem entry is "linux"; always true where the dialect has no gate. */
export function isLinux(ctx: RuleContext): boolean {
  if (!ctx.dialect.linuxGate) return true;
  const os = ctx.metadata.operatingsystem;
  for (const key of Object.keys(os)) if (os[key] === 'linux') return true;
  return false;
}
