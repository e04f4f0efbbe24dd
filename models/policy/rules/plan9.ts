/**
 * Models: framework.rego plan9_mount / plan9_unmount. Spec (c) "plan9_mount".
 * Real counterpart: those rules; rootPrefix and mountPathPrefix come from the GCS.
 * Differs: absent prefixes take the HEAD GCS constants; a target that fits no container gets the
 *   parma-sim reason (the Rego gives none). v0.14.1 dialect: the pattern is not anchored.
 * Invariants: a plan9 target is `<rootPrefix>/<containerID><mountPathPrefix>` for a container ID
 *   that already has matches (an overlay), and is used once.
 */
import { assert } from '../../../sim/kernel/assert.js';
import {
  InputReader, GCS_PLAN9_MOUNT_PATH_PREFIX, GCS_PLAN9_ROOT_PREFIX
} from '../input-shapes.js';
import { has } from '../metadata.js';
import { re2Match } from '../match/regex.js';
import { allow, deny, type RuleContext, type RuleResult } from './rule-context.js';

export function plan9Mount(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('plan9_mount', input);
  const target = r.str('target');
  const rootPrefix = r.optStr('rootPrefix') ?? GCS_PLAN9_ROOT_PREFIX;
  const mountPathPrefix = r.optStr('mountPathPrefix') ?? GCS_PLAN9_MOUNT_PATH_PREFIX;
  if (has(ctx.metadata.p9mounts, target)) return deny(['device already mounted at path']);
  const anchored = ctx.dialect === 'head';
  const owner = Object.keys(ctx.metadata.matches).find((id) => {
    const pattern = `${rootPrefix}/${id}${mountPathPrefix}`;
    return re2Match(anchored ? `^${pattern}$` : pattern, target, false);
  });
  if (owner === undefined) {
    return deny([`plan9 target ${JSON.stringify(target)} is not `
      + `${rootPrefix}/<containerID>${mountPathPrefix} for any container with an overlay`]);
  }
  assert(has(ctx.metadata.matches, owner));
  return allow([{ name: 'p9mounts', action: 'add', key: target, value: owner }]);
}

export function plan9Unmount(ctx: RuleContext, input: unknown): RuleResult {
  const target = new InputReader('plan9_unmount', input).str('unmountTarget');
  if (!has(ctx.metadata.p9mounts, target)) return deny(['no device at path to unmount']);
  return allow([{ name: 'p9mounts', action: 'remove', key: target }]);
}
