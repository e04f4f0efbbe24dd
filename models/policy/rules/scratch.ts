/**
 * Models: framework.rego scratch_mount / scratch_unmount. Spec (c) "scratch_mount".
 * Real counterpart: those rules; `encrypted` is what the guest recorded for the RW device holding
 *   the scratch path, not a host claim (the guest agent must pass its own record).
 * Differs: nothing deliberate; an absent `encrypted` counts as false.
 * Invariants: unencrypted scratch only when allow_unencrypted_scratch; one scratch per target.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { has } from '../metadata.js';
import { allow, deny, type RuleContext, type RuleResult } from './rule-context.js';

export function scratchMount(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('scratch_mount', input);
  const target = r.str('target');
  const encrypted = r.optBool('encrypted') === true;
  const reasons: string[] = [];
  if (has(ctx.metadata.scratch_mounts, target)) reasons.push('scratch already mounted at path');
  if (!encrypted && !ctx.policy.flags.allow_unencrypted_scratch) {
    reasons.push('unencrypted scratch not allowed');
  }
  if (reasons.length > 0) return deny(reasons);
  assert(encrypted || ctx.policy.flags.allow_unencrypted_scratch);
  return allow([{ name: 'scratch_mounts', action: 'add', key: target, value: { encrypted } }]);
}

export function scratchUnmount(ctx: RuleContext, input: unknown): RuleResult {
  const target = new InputReader('scratch_unmount', input).str('unmountTarget');
  if (!has(ctx.metadata.scratch_mounts, target)) return deny(['no scratch at path to unmount']);
  return allow([{ name: 'scratch_mounts', action: 'remove', key: target }]);
}
