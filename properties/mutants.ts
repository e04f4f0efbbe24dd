/**
 * Goal: deliberately broken copies of the policy engine, each overriding one rule the way a real
 * bug would, so tests can show that the random campaign (and the explorer) catch a broken
 * enforcement point through the independent invariant — a suite that cannot fail on a planted
 * bug proves nothing.
 * Method: a mutant wraps models/policy's evaluateEnforcementPoint and changes one decision:
 * - `mount_overlay_ignores_order`: an overlay whose layers are a policy container's in another
 *   order is allowed (the engine asks itself with the paths in the right order and binds that);
 * - `mount_device_any_hash`: a device whose root hash no policy container names is allowed;
 * - `create_container_ignores_env`: create_container accepts any environment variable (as if
 *   every container had a catch-all env rule), so the container keeps what the host sent.
 * The world takes a mutant through its engine seam (WorldOptions.engine).
 */
import { evaluateEnforcementPoint, type Decision, type EngineOptions } from
  '../models/policy/engine.js';
import type { PolicyMetadata } from '../models/policy/metadata.js';
import type { PolicyContainer, SecurityPolicy } from '../models/policy/policy-model.js';
import type { PolicyEngine } from '../sim/world-guest.js';

export const MUTANT_NAMES = ['mount_overlay_ignores_order', 'mount_device_any_hash',
  'create_container_ignores_env'] as const;
export type MutantName = (typeof MUTANT_NAMES)[number];

type Input = Readonly<Record<string, unknown>>;

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

/** mount_overlay: on a denial, retry with the layer paths put in some container's order. */
function overlayIgnoringOrder(policy: SecurityPolicy, metadata: PolicyMetadata, input: Input,
  options: EngineOptions | undefined, denied: Decision): Decision {
  const paths = Array.isArray(input['layerPaths']) ? input['layerPaths'] as string[] : [];
  const hashes = paths.map((p) => metadata.devices[p] ?? '');
  for (const c of policy.containers) {
    if (!sameMultiset(c.layers, hashes)) continue;
    const ordered = [...c.layers].reverse().map((h) => paths[hashes.indexOf(h)]!);
    const retried = evaluateEnforcementPoint(policy, metadata, 'mount_overlay',
      { ...input, layerPaths: ordered }, options);
    if (retried.allowed) return retried;
  }
  return denied;
}

/** mount_device: allow an unknown hash by asking about a known one. */
function deviceAnyHash(policy: SecurityPolicy, metadata: PolicyMetadata, input: Input,
  options: EngineOptions | undefined, denied: Decision): Decision {
  const known = policy.containers[0]?.layers[0];
  if (known === undefined) return denied;
  const retried = evaluateEnforcementPoint(policy, metadata, 'mount_device',
    { ...input, deviceHash: known }, options);
  if (!retried.allowed) return denied;
  const target = String(input['target']);
  return { ...retried, metadata: { ...retried.metadata, devices: { ...retried.metadata.devices,
    [target]: String(input['deviceHash']) } } };
}

/** A policy container with a catch-all env rule added. */
function anyEnv(c: PolicyContainer): PolicyContainer {
  return { ...c, env_rules: [...c.env_rules, { pattern: '.*', strategy: 're2', required: false }] };
}

/** create_container: decided as if every candidate allowed any environment variable. */
function createIgnoringEnv(policy: SecurityPolicy, metadata: PolicyMetadata, input: Input,
  options: EngineOptions | undefined, denied: Decision): Decision {
  const id = String(input['containerID']);
  const matches = metadata.matches[id];
  if (matches === undefined) return denied;
  const widened = { ...metadata, matches: { ...metadata.matches, [id]: matches.map(anyEnv) } };
  const retried = evaluateEnforcementPoint(policy, widened, 'create_container', input, options);
  return retried.allowed ? retried : denied;
}

const OVERRIDES: Readonly<Record<MutantName, Readonly<{ rule: string;
  override: typeof overlayIgnoringOrder }>>> = {
  mount_overlay_ignores_order: { rule: 'mount_overlay', override: overlayIgnoringOrder },
  mount_device_any_hash: { rule: 'mount_device', override: deviceAnyHash },
  create_container_ignores_env: { rule: 'create_container', override: createIgnoringEnv },
};

/** The engine with one rule broken (see the header). */
export function mutantEngine(name: MutantName): PolicyEngine {
  const { rule, override } = OVERRIDES[name];
  return (policy, metadata, asked, input, options) => {
    const decision = evaluateEnforcementPoint(policy, metadata, asked, input, options);
    if (asked !== rule || decision.allowed || input === null || typeof input !== 'object') {
      return decision;
    }
    return override(policy, metadata, input as Input, options, decision);
  };
}
