/**
 * Models: framework.rego get_properties, dump_stacks, runtime_logging and host_network: each
 * allowed iff its policy flag is true.
 * Real counterpart: those rules; runtime_logging is queried once at policy install time.
 * Differs: the denial reason is parma-sim's (the Rego has no error string for these).
 * Invariants: no metadata is read or written.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import type { PolicyFlags } from '../policy-model.js';
import { allow, deny, type RuleContext, type RuleResult } from './rule-context.js';

export function flagRule(rule: string, flag: keyof PolicyFlags) {
  assert(flag.startsWith('allow_'));
  return (ctx: RuleContext, input: unknown): RuleResult => {
    new InputReader(rule, input);
    if (ctx.policy.flags[flag]) return allow([]);
    return deny([`${rule} not allowed: policy ${flag} is false`]);
  };
}
