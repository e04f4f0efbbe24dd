/**
 * Models: framework.rego get_properties, dump_stacks, runtime_logging and host_network: each
 * allowed iff its policy flag is true.
 * Real counterpart: those rules; runtime_logging is queried once at policy install time.
 * Differs: the framework has no error string for these; the denial note is parma-sim's.
 * Invariants: no metadata is read or written.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import type { PolicyFlags } from '../policy-model.js';
import { allow, defineRule, deny } from './rule-context.js';

export function flagRule(rule: string, flag: keyof PolicyFlags) {
  assert(flag.startsWith('allow_'));
  return defineRule<null>({
    parse: (input) => { new InputReader(rule, input); return null; },
    decide: (ctx) => ctx.policy.flags[flag] ? allow([])
      : deny([`${rule} not allowed: policy ${flag} is false`]),
    errors: () => [],
  });
}
