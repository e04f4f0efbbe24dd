/**
 * Goal: the model-based suite — a hostile host drives worlds with fast-check's `fc.commands`,
 * and the independent invariant (properties/invariants.ts) is checked after every step; a
 * failure yields the seed, the path, and the shrunk command sequence as a runnable scenario.
 * Method: a pool of worlds, one per generated policy (some with twins), each with a rogue disk
 * attached (the host holds an image no policy names); a run picks a world, runs its benign
 * deployment up to a drawn point (checking the invariant after each step), then up to
 * `maxCommands` commands: the next benign step (precondition: one is left) or a labelled hostile
 * action (properties/hostile.ts). The model is the benign cursor (simpler than the system, as it
 * should be). Decision coverage is counted from every step's policy events. `size: 'max'` makes
 * sequences as long as allowed (the default size averages ~4 commands and misses planted bugs).
 */
import fc from 'fast-check';
import { assert } from '../sim/kernel/assert.js';
import type { HostAction } from '../models/host/adversary.js';
import { step, type World } from '../sim/world.js';
import type { PolicyEngine } from '../sim/world-guest.js';
import {
  generatedPolicyArb, worldOf, type GeneratedPolicy,
} from './arbitraries.js';
import {
  hostileActionArb, hostileContext, MUTATIONS, mutate, noteOf, roguePrelude, ROGUE_IMAGES,
  type HostileContext, type LabelledAction, type Mutation,
} from './hostile.js';
import { gcsMessage } from '../models/host/shim.js';
import {
  firstFailure, INVARIANTS, viewOf, type Invariant, type InvariantResult, type WorldView,
} from './invariants.js';
import { newCoverage, recordStep, type DecisionCoverage } from './coverage.js';
import { scenarioFile } from './scenario-file.js';

export type CampaignOptions = Readonly<{
  seed: number;
  /** Sequences to run. */
  runs: number;
  /** Commands per sequence at most (fc.commands maxCommands; size 'max'). */
  maxCommands?: number;
  /** Distinct generated policies (worlds) the runs share. */
  policies?: number;
  /** An engine in place of the real one (properties/mutants.ts), and its name for scenarios. */
  engine?: Readonly<{ name: string; engine: PolicyEngine }>;
  invariants?: readonly Invariant[];
}>;

export type PoolEntry = Readonly<{
  policy: GeneratedPolicy; world: World; ctx: HostileContext; prelude: readonly HostAction[];
}>;

export type Counterexample = Readonly<{
  seed: number;
  path: string;
  failure: InvariantResult;
  /** Every action from the fresh world to the violating one, with labels. */
  trail: readonly LabelledAction[];
  policy: GeneratedPolicy;
  /** A runnable scenario (JavaScript valid as TypeScript) that replays the trail. */
  scenario: string;
}>;

export type CampaignResult = Readonly<{
  runs: number;
  steps: number;
  counterexample: Counterexample | null;
  coverage: DecisionCoverage;
  elapsedMs: number;
}>;

/** The campaign's worlds: `count` generated policies (a third with twins: stdio, caps). */
export function campaignPool(seed: number, count: number,
  engine?: PolicyEngine): readonly PoolEntry[] {
  const quarter = Math.max(1, Math.floor(count / 6));
  const plain = fc.sample(generatedPolicyArb(), { seed, numRuns: count - 2 * quarter });
  const stdio = fc.sample(generatedPolicyArb({ twins: 'stdio' }), { seed: seed + 1,
    numRuns: quarter });
  const caps = fc.sample(generatedPolicyArb({ twins: 'caps' }), { seed: seed + 2,
    numRuns: quarter });
  return [...plain, ...stdio, ...caps].map((policy) => {
    const world = worldOf(policy, seed, { images: [...policy.images, ...ROGUE_IMAGES],
      ...(engine === undefined ? {} : { engine }) });
    const ctx = hostileContext(world, policy);
    return { policy, world, ctx, prelude: roguePrelude(world, ctx) };
  });
}

type Model = { cursor: number };
type Real = {
  world: World;
  before: WorldView;
  trail: LabelledAction[];
  readonly invariants: readonly Invariant[];
  readonly coverage: DecisionCoverage | null;
};

/** The invariant failed after the last step of `trail`. */
export class InvariantViolation extends Error {
  constructor(readonly failure: InvariantResult, readonly trail: readonly LabelledAction[]) {
    super(`${failure.id} ${failure.verdict.kind} after step ${trail.length - 1} `
      + `(${trail[trail.length - 1]?.label ?? 'start'}): ${describeVerdict(failure)}`);
  }
}

export function describeVerdict(failure: InvariantResult): string {
  const v = failure.verdict;
  return v.kind === 'violated' ? `${v.object}: ${v.reason}` : v.kind === 'unknown' ? v.reason
    : 'holds';
}

function apply(real: Real, labelled: LabelledAction): void {
  const out = step(real.world, labelled.action);
  real.trail.push(labelled);
  if (real.coverage !== null) recordStep(real.coverage, out.events);
  const view = viewOf(out.world, { before: real.before });
  const failure = firstFailure(view, real.invariants);
  if (failure !== null) {
    // The verdict names the step it was seen after (0-based, from the fresh world).
    const index = real.trail.length - 1;
    const verdict = failure.verdict.kind === 'violated' ? { ...failure.verdict, index }
      : failure.verdict;
    throw new InvariantViolation({ id: failure.id, verdict }, real.trail);
  }
  real.world = out.world;
  real.before = view;
}

class BenignStep implements fc.Command<Model, Real> {
  constructor(private readonly ctx: HostileContext) {}
  check(m: Readonly<Model>): boolean {
    return m.cursor < this.ctx.benign.length;
  }
  run(m: Model, r: Real): void {
    const i = m.cursor++;
    apply(r, { label: `benign #${i} ${this.ctx.notes[i]}`, action: this.ctx.benign[i]! });
  }
  toString(): string {
    return 'next benign step';
  }
}

/** Mutations that apply to the benign frame at `index` (none if it is not a bridge frame). */
function mutationsAt(ctx: HostileContext, index: number): readonly Mutation[] {
  const next = ctx.benign[index];
  if (next?.kind !== 'bridge') return [];
  const message = next.message.message as Record<string, unknown>;
  return MUTATIONS.filter((m) => m.applies(message, next.message.type));
}

/**
 * The next benign frame, mutated instead of sent as is (the mutation lands in its context):
 * `pick` chooses among the mutations that apply to that frame.
 */
class MutateNext implements fc.Command<Model, Real> {
  constructor(private readonly ctx: HostileContext, private readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return mutationsAt(this.ctx, m.cursor).length > 0;
  }
  run(m: Model, r: Real): void {
    const i = m.cursor++;
    const applicable = mutationsAt(this.ctx, i);
    const mutation = applicable[this.pick % applicable.length]!;
    const next = this.ctx.benign[i]!;
    assert(next.kind === 'bridge', 'checked: a bridge frame');
    apply(r, { label: `#${i} ${this.ctx.notes[i]}: ${mutation.name}`,
      action: { kind: 'bridge', message: mutate(next.message, mutation, this.ctx) } });
  }
  toString(): string {
    return `mutate the next benign frame (mutation ${this.pick})`;
  }
}

/** A signal to a process the guest runs now (chosen by `pick` among the container processes). */
class SignalLive implements fc.Command<Model, Real> {
  constructor(private readonly pick: number, private readonly signal: number) {}
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    const processes = Object.values(r.world.state.guest?.processes ?? {})
      .filter((p) => p.containerId !== null).sort((a, b) => a.pid - b.pid);
    const target = processes[this.pick % Math.max(1, processes.length)];
    const id = target?.containerId ?? 'f'.repeat(64);
    const pid = target?.pid ?? 100;
    apply(r, { label: `SignalProcess ${id.slice(0, 8)} pid ${pid} signal ${this.signal}`,
      action: { kind: 'bridge', message: gcsMessage('SignalProcess', id, { ProcessId: pid,
        Options: { Signal: this.signal } }) } });
  }
  toString(): string {
    return `signal live process #${this.pick} with ${this.signal}`;
  }
}

/** The host sends its last request again (a replay: the same mount, fragment, exec, ...). */
class RepeatLast implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    const last = r.trail[r.trail.length - 1];
    if (last !== undefined) apply(r, { label: `again: ${last.label}`, action: last.action });
  }
  toString(): string {
    return 'repeat the last action';
  }
}

class HostileStep implements fc.Command<Model, Real> {
  constructor(readonly labelled: LabelledAction) {}
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    apply(r, this.labelled);
  }
  toString(): string {
    return this.labelled.label;
  }
}

type RunInput = readonly [number, number, Iterable<fc.Command<Model, Real>>];

function runArb(pool: readonly PoolEntry[], maxCommands: number): fc.Arbitrary<RunInput> {
  return fc.integer({ min: 0, max: pool.length - 1 }).chain((index) => {
    const entry = pool[index]!;
    const benign = fc.constant(new BenignStep(entry.ctx));
    const hostile = hostileActionArb(entry.world, entry.ctx).map((l) => new HostileStep(l));
    const mutateNext = fc.nat(999).map((pick) => new MutateNext(entry.ctx, pick));
    const signal = fc.record({ pick: fc.nat(7), signal: fc.constantFrom(0, 9, 10, 15, 19) })
      .map(({ pick, signal: s }) => new SignalLive(pick, s));
    // Half the runs stop the benign prefix right before a frame that mutations change most
    // (mounts, overlays, creates, execs), so the first command lands in its context.
    const frames = entry.ctx.benign.map((_, i) => i).filter((i) => mutationsAt(entry.ctx, i)
      .length > 0);
    const prefix = fc.oneof(fc.integer({ min: 0, max: entry.ctx.benign.length }),
      fc.constantFrom(...frames));
    return fc.tuple(fc.constant(index), prefix,
      fc.commands([benign, benign, benign, mutateNext, mutateNext, hostile, hostile, hostile,
        signal, fc.constant(new RepeatLast())], { size: 'max', maxCommands }));
  });
}

/** Runs one sequence: prelude, benign prefix of `prefix` steps, then the commands. */
function runOne(entry: PoolEntry, prefix: number, cmds: Iterable<fc.Command<Model, Real>>,
  invariants: readonly Invariant[], coverage: DecisionCoverage | null): Real {
  const real: Real = { world: entry.world, before: viewOf(entry.world), trail: [], invariants,
    coverage };
  for (const action of entry.prelude) apply(real, { label: noteOf(action), action });
  for (let i = 0; i < prefix; i++) {
    apply(real, { label: `benign #${i} ${entry.ctx.notes[i]}`, action: entry.ctx.benign[i]! });
  }
  fc.modelRun(() => ({ model: { cursor: prefix }, real }), cmds);
  return real;
}

/** Replays `trail` from `world`; the failure and the trail up to it, or null if it holds. */
function replayTrail(world: World, trail: readonly LabelledAction[],
  invariants: readonly Invariant[]): InvariantViolation | null {
  const real: Real = { world, before: viewOf(world), trail: [], invariants, coverage: null };
  try {
    for (const labelled of trail) apply(real, labelled);
  } catch (error) {
    if (error instanceof InvariantViolation) return error;
    throw error;
  }
  return null;
}

/**
 * After fast-check's shrinking (which keeps the benign prefix it needed), drops every action
 * whose removal keeps the same invariant failing: the scenario keeps only what the bug needs.
 */
export function minimiseTrail(world: World, violation: InvariantViolation,
  invariants: readonly Invariant[]): InvariantViolation {
  let best = violation;
  for (let i = best.trail.length - 2; i >= 0; i--) {
    const candidate = [...best.trail.slice(0, i), ...best.trail.slice(i + 1)];
    const again = replayTrail(world, candidate, invariants);
    if (again !== null && again.failure.id === best.failure.id) best = again;
  }
  assert(best.trail.length <= violation.trail.length, 'minimising never grows the trail');
  return best;
}

/** Runs the campaign; on a violation, shrinks it and renders the counterexample as a scenario. */
export function runCampaign(options: CampaignOptions): CampaignResult {
  const started = performance.now();
  const invariants = options.invariants ?? INVARIANTS;
  const pool = campaignPool(options.seed, options.policies ?? 24, options.engine?.engine);
  const coverage = newCoverage();
  let counting = true;
  const property = fc.property(runArb(pool, options.maxCommands ?? 40), ([index, prefix, cmds]) => {
    runOne(pool[index]!, prefix, cmds, invariants, counting ? coverage : null);
  });
  const details = fc.check(property, { seed: options.seed, numRuns: options.runs,
    endOnFailure: false });
  counting = false;
  let counterexample: Counterexample | null = null;
  if (details.failed) {
    const [index, prefix, cmds] = details.counterexample![0];
    const entry = pool[index]!;
    let found: InvariantViolation | null = null;
    try {
      runOne(entry, prefix, cmds, invariants, null);
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      found = error;
    }
    assert(found !== null, 'the shrunk counterexample fails again when replayed');
    const { trail, failure } = minimiseTrail(entry.world, found, invariants);
    counterexample = { seed: details.seed, path: details.counterexamplePath ?? '', failure,
      trail, policy: entry.policy, scenario: scenarioFile({ seed: details.seed,
        path: details.counterexamplePath ?? '', failure, trail, policy: entry.policy,
        worldSeed: options.seed, engineName: options.engine?.name ?? null,
        campaign: JSON.stringify({ ...options, engine: options.engine?.name }) }) };
  }
  assert(details.failed === (counterexample !== null), 'a failure has its counterexample');
  assert(details.failed || details.numRuns === options.runs, 'a passing campaign ran every run');
  return { runs: details.numRuns, steps: coverage.steps, counterexample, coverage,
    elapsedMs: performance.now() - started };
}
