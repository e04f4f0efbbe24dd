/**
 * Models: framework.rego mount_overlay (layerPaths_ok; where candidate narrowing starts) and
 * unmount_overlay, with their error helpers. Spec (c) "mount_overlay".
 * Real counterpart: those rules at HEAD and v0.14.1; the Go-side checks (64-hex container ID,
 *   rootfs target form, scratch path form) belong to the guest agent, not to the engine.
 * Differs: a reused overlay target, which the framework denies without an error string of its
 *   own (HEAD) or lets through to a failing metadata add (v0.14.1), gets a parma-sim note.
 * Invariants: matches[id] is created once per container ID and never re-created (unmount_overlay
 *   keeps it); layerPaths are top layer first, policy layers base first.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import { candidateContainers } from './candidates.js';
import { allow, defineRule, deny, type RuleContext } from './rule-context.js';

/** layerPaths_ok: same count, and path i holds the hash of layer n-1-i. */
function layerPathsOk(ctx: RuleContext, layers: readonly string[],
    layerPaths: readonly string[]): boolean {
  const n = layers.length;
  if (layerPaths.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if (lookup(ctx.metadata.devices, layerPaths[i]!) !== layers[n - 1 - i]) return false;
  }
  return true;
}

type OverlayRequest = Readonly<{ containerID: string; layerPaths: readonly string[];
  target: string }>;

function matching(ctx: RuleContext, req: OverlayRequest): readonly PolicyContainer[] {
  return candidateContainers(ctx).filter((c) => layerPathsOk(ctx, c.layers, req.layerPaths));
}

const TARGET_REUSED_NOTE = 'overlay target already mounted';

export const mountOverlay = defineRule<OverlayRequest>({
  parse: (input) => {
    const r = new InputReader('mount_overlay', input);
    return { containerID: r.str('containerID'), layerPaths: r.strList('layerPaths'),
      target: r.str('target') };
  },
  decide: (ctx, req) => {
    const targetUsed = has(ctx.metadata.overlayTargets, req.target);
    if (has(ctx.metadata.matches, req.containerID)) return deny();
    if (ctx.dialect.overlayTargetCheck && targetUsed) return deny([TARGET_REUSED_NOTE]);
    const containers = matching(ctx, req);
    if (containers.length === 0) return deny(unmountedNotes(ctx, req));
    assert(containers.every((c) => c.layers.length === req.layerPaths.length));
    return allow([
      { name: 'matches', action: 'add', key: req.containerID, value: containers },
      { name: 'overlayTargets', action: 'add', key: req.target, value: true },
    ]);
  },
  errors: (ctx, req) => {
    const out: string[] = [];
    if (has(ctx.metadata.matches, req.containerID)) out.push('overlay has already been mounted');
    if (matching(ctx, req).length === 0) out.push('no matching containers for overlay');
    return out;
  },
});

function unmountedNotes(ctx: RuleContext, req: OverlayRequest): string[] {
  const unmounted = req.layerPaths.filter((path) => !has(ctx.metadata.devices, path));
  return unmounted.length === 0 ? []
    : [`layer paths with no read-only device mounted: ${unmounted.join(',')}`];
}

export const unmountOverlay = defineRule<string>({
  parse: (input) => new InputReader('unmount_overlay', input).str('unmountTarget'),
  decide: (ctx, target) => has(ctx.metadata.overlayTargets, target)
    ? allow([{ name: 'overlayTargets', action: 'remove', key: target }]) : deny(),
  errors: (ctx, target) => has(ctx.metadata.overlayTargets, target)
    ? [] : ['no overlay at path to unmount'],
});
