/**
 * Models: framework.rego plan9_mount / plan9_unmount and their error helpers. Spec (c)
 * "plan9_mount".
 * Real counterpart: those rules; rootPrefix and mountPathPrefix come from the GCS.
 * Differs: absent prefixes take the HEAD GCS constants; a target that fits no container gets a
 *   parma-sim note (the framework has no error string for it). When several container IDs fit
 *   one target (only possible with hostile prefixes), the first in key order owns it (the
 *   framework's rule would conflict and the query fail).
 * Invariants: a plan9 target is `<rootPrefix>/<containerID><mountPathPrefix>` for a container ID
 *   that already has matches (an overlay), anchored at HEAD, and is used once.
 */
import { assert } from '../../../sim/kernel/assert.js';
import {
  InputReader, GCS_PLAN9_MOUNT_PATH_PREFIX, GCS_PLAN9_ROOT_PREFIX
} from '../input-shapes.js';
import { has } from '../metadata.js';
import { regoRegexMatch } from '../match/rego-regex.js';
import { allow, defineRule, deny } from './rule-context.js';

type Plan9Request = Readonly<{ target: string; rootPrefix: string; mountPathPrefix: string }>;

export const plan9Mount = defineRule<Plan9Request>({
  parse: (input) => {
    const r = new InputReader('plan9_mount', input);
    return { target: r.str('target'),
      rootPrefix: r.optStr('rootPrefix') ?? GCS_PLAN9_ROOT_PREFIX,
      mountPathPrefix: r.optStr('mountPathPrefix') ?? GCS_PLAN9_MOUNT_PATH_PREFIX };
  },
  decide: (ctx, req) => {
    if (has(ctx.metadata.p9mounts, req.target)) return deny();
    const anchored = ctx.dialect.anchoredPatterns;
    const owner = Object.keys(ctx.metadata.matches).find((id) => {
      const pattern = `${req.rootPrefix}/${id}${req.mountPathPrefix}`;
      return regoRegexMatch(anchored ? `^${pattern}$` : pattern, req.target, false);
    });
    if (owner === undefined) {
      return deny([`plan9 target ${JSON.stringify(req.target)} is not `
        + `${req.rootPrefix}/<containerID>${req.mountPathPrefix} for any container with an `
        + 'overlay']);
    }
    assert(has(ctx.metadata.matches, owner));
    return allow([{ name: 'p9mounts', action: 'add', key: req.target, value: owner }]);
  },
  errors: (ctx, req) => has(ctx.metadata.p9mounts, req.target)
    ? ['device already mounted at path'] : [],
});

export const plan9Unmount = defineRule<string>({
  parse: (input) => new InputReader('plan9_unmount', input).str('unmountTarget'),
  decide: (ctx, target) => has(ctx.metadata.p9mounts, target)
    ? allow([{ name: 'p9mounts', action: 'remove', key: target }]) : deny(),
  errors: (ctx, target) => has(ctx.metadata.p9mounts, target)
    ? [] : ['no device at path to unmount'],
});
