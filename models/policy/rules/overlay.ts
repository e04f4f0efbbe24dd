/**
 * Models: framework.rego mount_overlay (layerPaths_ok; where candidate narrowing starts) and
 * unmount_overlay. Spec (c) "mount_overlay".
 * Real counterpart: those rules; the Go-side checks (64-hex container ID, rootfs target form,
 *   scratch path form) belong to the guest agent, not to the engine.
 * Differs: a reused overlay target gets the parma-sim reason "overlay target already mounted"
 *   (the Rego has only a sanity check without an error string).
 * Invariants: matches[id] is created once per container ID and never re-created (unmount_overlay
 *   keeps it); layerPaths are top layer first, policy layers base first.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import {
  allow, candidateContainers, deny, withVersionReason, type RuleContext, type RuleResult
} from './rule-context.js';

function layerPathsOk(ctx: RuleContext, layers: readonly string[],
    layerPaths: readonly string[]): boolean {
  const n = layers.length;
  if (layerPaths.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if (lookup(ctx.metadata.devices, layerPaths[i]!) !== layers[n - 1 - i]) return false;
  }
  return true;
}

export function mountOverlay(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('mount_overlay', input);
  const containerID = r.str('containerID');
  const layerPaths = r.strList('layerPaths');
  const target = r.str('target');
  const containers: PolicyContainer[] = candidateContainers(ctx).filter((c) =>
    layerPathsOk(ctx, c.layers, layerPaths));
  const reasons: string[] = [];
  if (has(ctx.metadata.matches, containerID)) reasons.push('overlay has already been mounted');
  if (has(ctx.metadata.overlayTargets, target)) reasons.push('overlay target already mounted');
  if (containers.length === 0) {
    reasons.push('no matching containers for overlay');
    const unmounted = layerPaths.filter((path) => !has(ctx.metadata.devices, path));
    if (unmounted.length > 0) {
      reasons.push(`layer paths with no read-only device mounted: ${unmounted.join(',')}`);
    }
  }
  if (reasons.length > 0) return deny(withVersionReason(ctx, reasons));
  assert(containers.every((c) => c.layers.length === layerPaths.length));
  return allow([
    { name: 'matches', action: 'add', key: containerID, value: containers },
    { name: 'overlayTargets', action: 'add', key: target, value: true },
  ]);
}

export function unmountOverlay(ctx: RuleContext, input: unknown): RuleResult {
  const target = new InputReader('unmount_overlay', input).str('unmountTarget');
  if (!has(ctx.metadata.overlayTargets, target)) return deny(['no overlay at path to unmount']);
  return allow([{ name: 'overlayTargets', action: 'remove', key: target }]);
}
