/**
 * Goal: C1 of DESIGN.md — for every policy, the benign deployment of its containers is allowed
 * (lift-and-shift) — and benign drift where the policy says it is fine: a platform that adds
 * environment variables (allowed when allow_environment_variable_dropping is set, and then
 * dropped), a runtime that grants more capabilities (allowed when allow_capability_dropping is
 * set, and then dropped), a scratch disk the host does not encrypt (allowed when
 * allow_unencrypted_scratch is set).
 * Method: run the world's benign deployment (the shim's plan, sim/world.ts deployBenign) and
 * judge the results: every step ok, with the invariant holding after each; a drifted deployment
 * is the same plan with the drift applied to its Create, exec and scratch frames.
 */
import { assert } from '../sim/kernel/assert.js';
import type { Json } from '../sim/kernel/canonical-json.js';
import type { HostAction } from '../models/host/adversary.js';
import { GCS_MESSAGE } from '../models/host/shim.js';
import { deployBenign, step, type World } from '../sim/world.js';
import { firstFailure, viewOf, type Verdict } from './invariants.js';
import { noteOf } from './hostile.js';
import { ALL_CAPABILITIES } from './policy-semantics.js';

const HOLDS: Verdict = Object.freeze({ kind: 'holds' });

export const C1_COMPATIBILITY = Object.freeze({
  id: 'C1',
  statement: 'for every policy, the benign deployment of its containers is allowed '
    + '(lift-and-shift), and benign drift is allowed where the policy says so',
});

/** C1 for `world`'s policy: every step of its benign deployment succeeds. */
export function checkCompatibility(world: World): Verdict {
  const run = deployBenign(world);
  if (run.notDeployed.length > 0) {
    const first = run.notDeployed[0]!;
    return { kind: 'violated', object: `container ${first.name}`, reason: first.reason };
  }
  const index = run.rows.findIndex((row) => row.result.outcome !== 'ok');
  assert(run.rows.length === run.actions.length, 'one row per action');
  if (index === -1) return HOLDS;
  const row = run.rows[index]!;
  const rule = row.result.decision?.rule;
  return { kind: 'violated', object: `benign step #${index} (${row.note})`,
    reason: `refused by ${row.result.stoppedBy ?? '?'}${rule === undefined ? '' : ` (${rule})`}: `
      + row.result.reason };
}

export type Drift = 'platform-env' | 'extra-capabilities' | 'unencrypted-scratch';
export const DRIFTS: readonly Drift[] = ['platform-env', 'extra-capabilities',
  'unencrypted-scratch'];

/** The policy flag that makes a drift acceptable. */
export const DRIFT_FLAG = Object.freeze({
  'platform-env': 'allow_environment_variable_dropping',
  'extra-capabilities': 'allow_capability_dropping',
  'unencrypted-scratch': 'allow_unencrypted_scratch',
} as const);

/** What a drifting platform adds to every container's environment. */
export const PLATFORM_ENV = 'AZURE_PLATFORM_REGION=westeurope';

type J = Record<string, unknown>;

function driftProcess(process: J, drift: Drift): void {
  if (drift === 'platform-env') {
    process['env'] = [...(Array.isArray(process['env']) ? process['env'] as string[] : []),
      PLATFORM_ENV];
  }
  if (drift === 'extra-capabilities' && process['capabilities'] !== undefined) {
    const caps = process['capabilities'] as J;
    for (const set of ['bounding', 'effective', 'permitted']) caps[set] = [...ALL_CAPABILITIES];
  }
}

/** One benign action with `drift` applied (the same action when the drift does not touch it). */
export function drifted(action: HostAction, drift: Drift): HostAction {
  if (action.kind !== 'bridge') return action;
  const message = JSON.parse(JSON.stringify(action.message.message)) as J;
  const type = action.message.type;
  if (type === GCS_MESSAGE.Create && drift !== 'unencrypted-scratch') {
    const config = JSON.parse(String(message['ContainerConfig'])) as J;
    driftProcess((config['OciSpecification'] as J)['process'] as J, drift);
    message['ContainerConfig'] = JSON.stringify(config);
  } else if (type === GCS_MESSAGE.ExecuteProcess && drift !== 'unencrypted-scratch') {
    const settings = message['Settings'] as J;
    const params = JSON.parse(String(settings['ProcessParameters'])) as J;
    if (params['OciProcess'] === undefined) return action;
    driftProcess(params['OciProcess'] as J, drift);
    settings['ProcessParameters'] = JSON.stringify(params);
  } else if (drift === 'unencrypted-scratch' && type === GCS_MESSAGE.ModifySettings) {
    const settings = ((message['Request'] as J | undefined)?.['Settings'] ?? {}) as J;
    if (settings['ReadOnly'] === true || settings['Encrypted'] !== true) return action;
    delete settings['Encrypted'];
  } else {
    return action;
  }
  return { kind: 'bridge', message: { ...action.message, message: message as Json } };
}

export type DriftOutcome = Readonly<{
  /** Every step succeeded. */
  allowed: boolean;
  /** The first refused step, if any. */
  refused: string | null;
  /** The invariant's verdict after every step (the first failure, or holds). */
  invariant: Verdict;
  world: World;
}>;

/**
 * Runs the benign deployment with `drift` applied (null: as planned), checking the invariant
 * after each step.
 */
export function runDrifted(world: World, drift: Drift | null): DriftOutcome {
  const actions = deployBenign(world).actions.map((action) => (drift === null ? action
    : drifted(action, drift)));
  let current = world;
  let before = viewOf(current);
  let refused: string | null = null;
  for (const [index, action] of actions.entries()) {
    const out = step(current, action);
    current = out.world;
    const view = viewOf(current, { before });
    const failure = firstFailure(view);
    if (failure !== null) return { allowed: false, refused, invariant: failure.verdict, world };
    before = view;
    if (refused === null && out.result.outcome !== 'ok') {
      refused = `#${index} ${noteOf(action)}: ${out.result.reason}`;
    }
  }
  return { allowed: refused === null, refused, invariant: HOLDS, world: current };
}
