/**
 * Models: framework.rego scratch_mount / scratch_unmount and their error helpers. Spec (c)
 * "scratch_mount".
 * Real counterpart: those rules; `encrypted` is what the guest recorded for the RW device holding
 *   the scratch path, not a host claim (the guest agent must pass its own record).
 * Differs: nothing deliberate; an absent `encrypted` counts as false.
 * Invariants: unencrypted scratch only when allow_unencrypted_scratch; one scratch per target.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { has } from '../metadata.js';
import { allow, defineRule, deny, type RuleContext } from './rule-context.js';

type ScratchRequest = Readonly<{ target: string; encrypted: boolean }>;

function scratchErrors(ctx: RuleContext, req: ScratchRequest): string[] {
  const out: string[] = [];
  if (has(ctx.metadata.scratch_mounts, req.target)) out.push('scratch already mounted at path');
  if (!req.encrypted && !ctx.policy.flags.allow_unencrypted_scratch) {
    out.push('unencrypted scratch not allowed');
  }
  return out;
}

export const scratchMount = defineRule<ScratchRequest>({
  parse: (input) => {
    const r = new InputReader('scratch_mount', input);
    return { target: r.str('target'), encrypted: r.optBool('encrypted') === true };
  },
  // Each clause of the rule has its own error string: allowed iff none applies.
  decide: (ctx, req) => {
    if (scratchErrors(ctx, req).length > 0) return deny();
    assert(req.encrypted || ctx.policy.flags.allow_unencrypted_scratch);
    return allow([{ name: 'scratch_mounts', action: 'add', key: req.target,
      value: { encrypted: req.encrypted } }]);
  },
  errors: scratchErrors,
});

export const scratchUnmount = defineRule<string>({
  parse: (input) => new InputReader('scratch_unmount', input).str('unmountTarget'),
  decide: (ctx, target) => has(ctx.metadata.scratch_mounts, target)
    ? allow([{ name: 'scratch_mounts', action: 'remove', key: target }]) : deny(),
  errors: (ctx, target) => has(ctx.metadata.scratch_mounts, target)
    ? [] : ['no scratch at path to unmount'],
});
