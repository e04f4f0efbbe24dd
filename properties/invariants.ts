/**
 * Goal: the Parma guarantees (DESIGN.md "The invariant": I1–I7, C1) as independent predicates over
 * the world's actual state — the devices the guest verified, its overlays, containers and their
 * configs, processes, scratch encryption, loaded fragments, the launch, and the bytes the host
 * holds — judged against the policy as this module reads it itself (properties/policy-data.ts).
 * Method: `viewOf(world)` gathers what the checkers read (the guest state, the installed policy
 * parsed independently, the launch, host storage, the store's blobs, and optionally the view
 * before the last step for rules about change); each invariant is `{id, statement,
 * check(view) → Verdict}`. A checker that throws gives `unknown`, which never counts as `holds`.
 * Nothing here imports the policy engine (models/policy) or reads its metadata, except I4
 * (properties/invariant-metadata.ts), whose job is to compare the metadata with reality; a test
 * (test/kernel/layering.test.ts) enforces that.
 */
import { createHash } from 'node:crypto';
import { assert } from '../sim/kernel/assert.js';
import type { Hex } from '../sim/kernel/bytes.js';
import type { GuestState } from '../models/guest/guest-state.js';
import type { World } from '../sim/world.js';
import { readPolicyData, type PolicyData } from './policy-data.js';
import { STATE_INVARIANTS } from './invariant-checks.js';

// ---------------------------------------------------------------------------------------------
// The interface (stable: sim/explore.ts, the campaign and scenarios import it)

/** A verdict: holds, violated (naming the offending object), or unknown (never a pass). */
export type Verdict =
  | Readonly<{ kind: 'holds' }>
  | Readonly<{
    kind: 'violated';
    /** The step (0-based action index) after which it was seen, when the caller knows it. */
    index?: number;
    /** The offending object, e.g. `container 3f2a…`, `device /run/mounts/scsi/m1`. */
    object: string;
    reason: string;
  }>
  | Readonly<{ kind: 'unknown'; reason: string }>;

/** What the checkers read: the world's actual state, never the engine's view of it. */
export type WorldView = Readonly<{
  /** The guest agent's state; null before launch. */
  guest: GuestState | null;
  /** The installed security policy read independently, or null when none is installed. */
  policy: PolicyData | null;
  /** Its store digest (= SHA-256 of its bytes), or null. */
  policyDigest: Hex | null;
  /** Fragments the guest loaded, read independently, by the guest's key for them. */
  fragments: Readonly<Record<string, PolicyData>>;
  /** The firmware's launch: phase, and HOST_DATA / MEASUREMENT / guest POLICY fixed at
   * LAUNCH_FINISH. */
  launch: Readonly<{ phase: string; hostData: Hex | null; measurement: Hex | null;
    guestPolicy: bigint | null }>;
  /** The guest's memory as the memory controller holds it (null before launch). */
  memory: World['state']['memory'];
  /** The key broker, the guest's attestation client, what the host relayed. */
  attestation: World['state']['attestation'] | null;
  /** The world's token service (issuer, endorsed measurements) and the key it guards. */
  attestationConfig: Readonly<{ issuer: string; endorsed: readonly Hex[];
    keyName: string }> | null;
  /** The host's storage and what else it holds (host-visible). */
  host: World['state']['host'];
  /** The agent's confidential checks that are switched off (the invariant assumes none). */
  relaxedChecks: readonly string[];
  /** A blob of the content store. */
  load(digest: Hex): Uint8Array | undefined;
  /** The view before the last step (rules about change read it), or null. */
  before: WorldView | null;
}>;

export type Invariant = Readonly<{
  /** Stable id: I1 … I7 (and sub-ids such as I3.scratch in verdict objects, never here). */
  id: string;
  /** One line: what must hold. */
  statement: string;
  check(view: WorldView): Verdict;
}>;

export const HOLDS: Verdict = Object.freeze({ kind: 'holds' });

export function violated(object: string, reason: string): Verdict {
  return Object.freeze({ kind: 'violated', object, reason });
}

export function unknown(reason: string): Verdict {
  return Object.freeze({ kind: 'unknown', reason });
}

// ---------------------------------------------------------------------------------------------
// Building a view

const policyCache = new Map<string, PolicyData | Error>();

/** The policy data of stored bytes (memoised by digest; bounded). */
export function policyDataOf(digest: Hex, bytes: Uint8Array): PolicyData | Error {
  const known = policyCache.get(digest);
  if (known !== undefined) return known;
  let data: PolicyData | Error;
  try {
    data = readPolicyData(new TextDecoder().decode(bytes));
  } catch (error) {
    data = error instanceof Error ? error : new Error(String(error));
  }
  if (policyCache.size >= 256) policyCache.clear();
  policyCache.set(digest, data);
  return data;
}

export function sha256Hex(bytes: Uint8Array): Hex {
  return createHash('sha256').update(bytes).digest('hex');
}

export type ViewOptions = Readonly<{ before?: WorldView | null }>;

/** The checkers' view of `world` (cheap: records are shared, the policy parse is memoised). */
export function viewOf(world: World, options: ViewOptions = {}): WorldView {
  const guest = world.state.guest;
  const load = (digest: Hex): Uint8Array | undefined => world.store.blobs.get(digest);
  let policy: PolicyData | null = null;
  const policyDigest = guest?.policy?.digest ?? null;
  if (policyDigest !== null) {
    const bytes = load(policyDigest);
    const data = bytes === undefined ? new Error('the installed policy is not in the store')
      : policyDataOf(policyDigest, bytes);
    if (!(data instanceof Error)) policy = data;
  }
  const fragments: Record<string, PolicyData> = {};
  for (const [key, fragment] of Object.entries(guest?.fragments ?? {})) {
    const bytes = load(fragment.text);
    const data = bytes === undefined ? null : policyDataOf(fragment.text, bytes);
    if (data !== null && !(data instanceof Error)) fragments[key] = data;
  }
  assert(guest === null || world.state.launch.value === 'running', 'a guest runs after launch');
  const finish = world.state.launch.context.guest;
  const checks = world.config.agent.checks as Readonly<Record<string, boolean | undefined>>;
  return {
    guest, policy, policyDigest, fragments,
    launch: { phase: world.state.launch.value, hostData: finish?.host_data ?? null,
      measurement: finish?.measurement ?? null, guestPolicy: finish?.policy ?? null },
    memory: world.state.memory, attestation: world.state.attestation,
    attestationConfig: { issuer: world.config.attestation.tokenService.issuer,
      endorsed: world.config.attestation.tokenService.endorsedMeasurements,
      keyName: world.config.attestation.keyName },
    host: world.state.host,
    relaxedChecks: Object.keys(checks).filter((name) => checks[name] === false).sort(),
    load, before: options.before ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Running the invariants

/** Runs one invariant; a checker that throws gives `unknown` (it never passes). */
export function runInvariant(invariant: Invariant, view: WorldView): Verdict {
  try {
    return invariant.check(view);
  } catch (error) {
    return unknown(`${invariant.id} threw: ${error instanceof Error ? error.message
      : String(error)}`);
  }
}

export type InvariantResult = Readonly<{ id: string; verdict: Verdict }>;

/** Every invariant's verdict on `view`, in order. */
export function checkInvariants(view: WorldView,
  invariants: readonly Invariant[] = INVARIANTS): readonly InvariantResult[] {
  return invariants.map((invariant) => ({ id: invariant.id,
    verdict: runInvariant(invariant, view) }));
}

/** The first verdict that is not `holds` (violated or unknown), or null when all hold. */
export function firstFailure(view: WorldView,
  invariants: readonly Invariant[] = INVARIANTS): InvariantResult | null {
  for (const invariant of invariants) {
    const verdict = runInvariant(invariant, view);
    if (verdict.kind !== 'holds') return { id: invariant.id, verdict };
  }
  return null;
}

/** I1–I7 over state, in order (C1 is a property of a run: properties/compatibility.ts). */
export const INVARIANTS: readonly Invariant[] = STATE_INVARIANTS;
