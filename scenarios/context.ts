/**
 * Goal: what a scenario body gets: the run's configuration (which defences are relaxed, which
 * agent era), its `Choice`, a trace it writes to, and worlds it drives through the host's
 * adversary API (`WorldDriver`: the shim's benign plan step by step, hostile actions in between).
 * Method: a world is built from the scenario's setup with the run's relaxations applied (the
 * enforced policy, the policy flags, the agent's dialect and checks); every step's trace events
 * are copied into the scenario's trace, renumbered on one scenario clock, so a run with several
 * worlds (another VM) is still one ordered trace. The outcome of a world-driven attack is the
 * first refusal among the steps that count (the benign prefix and the attack's own steps).
 * Invariants: nothing here reads the variant to decide what the host does: bodies act the same
 * in every run, only the world they act on differs; every draw goes through `choice`.
 */
import { assert } from '../sim/kernel/assert.js';
import type { Json } from '../sim/kernel/canonical-json.js';
import { Trace, type TraceEvent, type TraceSource } from '../sim/kernel/trace.js';
import { Rng, type Choice } from '../sim/kernel/rng.js';
import type { Hex } from '../sim/kernel/bytes.js';
import type { CheckName } from '../models/guest/confidential-checks.js';
import type { PolicyDialect } from '../models/policy/dialect.js';
import type { WorkloadFlags } from '../models/host/confcom.js';
import type { HostAction } from '../models/host/adversary.js';
import { identityRoot } from '../models/host/images.js';
import { storeGet } from '../models/host/content-store.js';
import { planBenignDeployment, type ShimStep } from '../models/host/shim.js';
import { loadSecurityPolicy } from '../models/policy/load-policy.js';
import {
  containerIds, createWorld, defaultLaunch, step, type StepResult, type World, type WorldOptions,
} from '../sim/world.js';
import { groupOfPolicy } from '../sim/world-deployment.js';
import type { AgentOptions } from '../sim/world-guest.js';
import {
  allowed, blocked, type BlockLayer, type KeyBrokerRelaxation, type Outcome,
  type PlatformRelaxation, type VerifierRelaxation,
} from './dsl.js';
import { allowAllPolicy, buildWorkload, type WorkloadSpec } from './workloads.js';

export type Variant = 'main' | 'relaxed' | 'historical';

/** Everything a run changes about the world and the relying party. */
export type RunConfig = Readonly<{
  variant: Variant;
  allowAllPolicy: boolean;
  policyFlags: Partial<WorkloadFlags>;
  dialect: PolicyDialect;
  checksOff: readonly CheckName[];
  verifier: VerifierRelaxation;
  platform: PlatformRelaxation;
  keyBroker: KeyBrokerRelaxation;
  /** The guest policy every launch of the run uses (null: the world's default). */
  guestPolicy: string | null;
  /** Reads skip the integrity check the scenario names (no world switch exists for it). */
  uncheckedReads: boolean;
}>;

export const MAIN_CONFIG: RunConfig = Object.freeze({
  variant: 'main', allowAllPolicy: false, policyFlags: Object.freeze({}), dialect: 'head',
  checksOff: Object.freeze([]), verifier: Object.freeze({}), platform: Object.freeze({}),
  keyBroker: Object.freeze({}), guestPolicy: null, uncheckedReads: false,
});

/** How a scenario's world is made (before the run's relaxations). */
export type WorldSetup = Readonly<{
  workload: WorkloadSpec;
  /** Checks this scenario assumes absent in every run (it isolates another defence). */
  checksOff?: readonly CheckName[];
  launch?: WorldOptions['launch'];
  /** Names a second VM: its world seed is `<seed>/<vm>`. */
  vm?: string;
}>;

/** One step the driver ran, and whether it counts toward the outcome. */
export type DriverStep = Readonly<{ note: string; action: HostAction; result: StepResult;
  counts: boolean }>;

export class ScenarioContext {
  readonly trace = new Trace();
  readonly choice: Choice;
  private tick = 0;

  constructor(readonly name: string, readonly seed: string, readonly config: RunConfig,
    choice?: Choice) {
    this.choice = choice ?? Rng.fromSeed(seed).fork('scenarios').fork(name);
  }

  /** Emits one event at the next scenario tick. */
  emit(source: TraceSource, type: string, data: unknown): void {
    this.tick++;
    this.trace.emit(this.tick, source, type, data);
  }

  note(text: string): void {
    this.emit('sim', 'note', { text });
  }

  /** The world events of one step, at one scenario tick, after the step's note. */
  copyEvents(note: string, planned: boolean, events: readonly TraceEvent[]): void {
    this.tick++;
    this.trace.emit(this.tick, 'sim', 'step', { note, planned });
    for (const event of events) this.trace.emit(this.tick, event.source, event.type, event.data);
  }

  /** A world for `setup` with this run's relaxations applied. */
  world(setup: WorldSetup): WorldDriver {
    const built = buildWorkload(setup.workload, this.config.policyFlags);
    const enforced = this.config.allowAllPolicy ? allowAllPolicy() : built.policy;
    const checksOff = [...new Set([...(setup.checksOff ?? []), ...this.config.checksOff])].sort();
    const agent: AgentOptions = { dialect: this.config.dialect,
      checks: Object.fromEntries(checksOff.map((name) => [name, false])) };
    const seed = setup.vm === undefined ? this.seed : `${this.seed}/${setup.vm}`;
    const launch = { ...setup.launch, ...(this.config.guestPolicy === null ? {}
      : { guestPolicy: this.config.guestPolicy }) };
    const world = withKeyBroker(createWorld({ seed, policy: enforced, images: built.images,
      agent, launch }), this.config.keyBroker);
    this.emit('sim', 'world', { vm: setup.vm ?? 'uvm', seed, workload: setup.workload.id,
      policy: world.config.policy, allowAllPolicy: this.config.allowAllPolicy,
      dialect: agent.dialect, checksOff, guestPolicy: world.config.launch.guestPolicy,
      keyBroker: this.config.keyBroker as Json });
    return new WorldDriver(this, world, built.policy);
  }
}

/**
 * The world with the key owner's weaker choices: the key's release policy without conditions on
 * the named claims, or token-window freshness. The broker is world state (plain data), as the
 * confidentiality tests change it; nothing else is touched.
 */
function withKeyBroker(world: World, relax: KeyBrokerRelaxation): World {
  const drop = new Set(relax.dropClaims ?? []);
  if (drop.size === 0 && relax.tokenWindow !== true) return world;
  const broker = world.state.attestation.broker;
  const keys = Object.fromEntries(Object.entries(broker.keys).map(([name, key]) => [name, {
    ...key, releasePolicy: { ...key.releasePolicy, anyOf: key.releasePolicy.anyOf.map((rule) =>
      ({ ...rule, conditions: rule.conditions.filter((c) => !drop.has(c.claim)) })) } }]));
  const next = { ...broker, keys, freshness: relax.tokenWindow === true ? 'token-window' as const
    : broker.freshness };
  assert(Object.keys(keys).length === Object.keys(broker.keys).length, 'every key kept');
  return Object.freeze({ ...world, state: Object.freeze({ ...world.state,
    attestation: Object.freeze({ ...world.state.attestation, broker: Object.freeze(next) }) }) });
}

const REFUSAL_LAYERS: Readonly<Record<string, BlockLayer>> = {
  policy: 'policy', structure: 'structure', verity: 'verity', crypt: 'crypt', io: 'io',
  state: 'state', message: 'message', firmware: 'firmware', hypervisor: 'hypervisor',
  host: 'host', verifier: 'verifier',
};

/** The relying party's refusals: which service, from the world's reason prefix. */
function layerOf(result: StepResult): BlockLayer {
  const layer = REFUSAL_LAYERS[result.stoppedBy ?? ''];
  assert(layer !== undefined, `a known stopping layer (${String(result.stoppedBy)})`);
  if (layer === 'verifier' && result.reason.startsWith('token service:')) return 'token_service';
  if (layer === 'verifier' && result.reason.startsWith('key broker:')) return 'key_broker';
  if (layer === 'hypervisor' && result.reason.startsWith('RMP violation')) return 'rmp';
  return layer;
}

/** A refused step as an outcome: its layer, rule, check and code. */
export function outcomeOfStep(result: StepResult): Outcome {
  if (result.outcome === 'ok') return allowed(`${result.kind} ok`);
  const layer = layerOf(result);
  const code = result.refusal?.code ?? /\b(VERIFY_[A-Z_]+)\b/.exec(result.reason)?.[1] ?? null;
  return blocked(layer, result.reason, {
    rule: result.refusal?.rule ?? (result.stoppedBy === 'policy' ? result.decision?.rule : null),
    check: result.refusal?.check ?? null, code });
}

/**
 * A world driven by a scenario: the shim's benign plan for the workload (what the customer
 * asked the host to run), stepped on demand, with hostile actions in between.
 */
export class WorldDriver {
  private readonly plan: readonly ShimStep[];
  private cursor = 0;
  private readonly pids: Record<string, number> = {};
  readonly steps: DriverStep[] = [];
  /** The container ids the shim uses, by container name (the sandbox as "pause"). */
  readonly ids: Readonly<Record<string, string>>;

  constructor(private readonly ctx: ScenarioContext, public world: World,
    workloadPolicy: string | Uint8Array) {
    const bytes = typeof workloadPolicy === 'string' ? new TextEncoder().encode(workloadPolicy)
      : workloadPolicy;
    const group = groupOfPolicy(loadSecurityPolicy(bytes).policy);
    const images = new Map<Hex, Hex>();
    for (const image of world.config.images) images.set(identityRoot(image), image.digest);
    const ids = containerIds(world, group.containers.map((c) => c.name));
    this.plan = planBenignDeployment({ group, images, ids,
      policyBytes: storeGet(world.store, world.config.policy)!, launch: defaultLaunch(world) })
      .steps;
    const named: Record<string, string> = { ...ids.byName };
    for (const c of group.containers) if (c.sandbox) named[c.name] = ids.sandbox;
    this.ids = Object.freeze(named);
    assert(this.plan.length > 0, 'a plan has steps');
  }

  /** The notes of the plan's remaining steps (for scenario authors and tests). */
  remainingNotes(): readonly string[] {
    return this.plan.slice(this.cursor).map((s) => s.note);
  }

  /** The action of the next planned step, built from what the guest answered so far. */
  peek(): Readonly<{ note: string; action: HostAction }> {
    const next = this.plan[this.cursor];
    assert(next !== undefined, 'the plan has a next step');
    return { note: next.note, action: next.action({ pids: this.pids }) };
  }

  /** The action of a later planned step (built from what is known now), without running. */
  find(prefix: string): HostAction {
    const later = this.plan.slice(this.cursor).find((s) => s.note.startsWith(prefix));
    assert(later !== undefined, `the plan has a step "${prefix}" after step ${this.cursor}`);
    return later.action({ pids: this.pids });
  }

  /**
   * Runs the planned steps before the first whose note starts with `prefix`; returns that
   * step's action (not run: the scenario runs it, changed or not, or `skip`s it).
   */
  runTo(prefix: string): HostAction {
    const at = this.plan.findIndex((s, i) => i >= this.cursor && s.note.startsWith(prefix));
    assert(at >= 0, `the plan has a step "${prefix}" after step ${this.cursor}`);
    while (this.cursor < at) this.runPlanned();
    return this.peek().action;
  }

  /** Runs the next planned step as planned. */
  runPlanned(): StepResult {
    const { note, action } = this.peek();
    const planned = this.plan[this.cursor]!;
    this.cursor++;
    // A teardown release the guest refuses is logged and passed over, as hcsshim's
    // ReleaseResources does (the shim marks such steps `release`); it does not decide the run.
    const release = planned.release === true;
    const result = this.run(note, action, !release, true);
    const response = result.response as Readonly<Record<string, Json>> | null;
    if (planned.learnPid !== undefined && typeof response?.['ProcessId'] === 'number') {
      this.pids[planned.learnPid] = response['ProcessId'];
    }
    return result;
  }

  /** Runs every remaining planned step. */
  runRest(): void {
    while (this.cursor < this.plan.length) this.runPlanned();
  }

  /** Moves past the next planned step without running it (the scenario ran its own). */
  skip(): void {
    assert(this.cursor < this.plan.length, 'a step to skip');
    this.cursor++;
  }

  /** A hostile (or any) action; `counts` steps decide the outcome when refused. */
  act(action: HostAction, note = 'host action', counts = true): StepResult {
    return this.run(note, action, counts, false);
  }

  private run(note: string, action: HostAction, counts: boolean, planned: boolean): StepResult {
    const out = step(this.world, action);
    this.world = out.world;
    this.ctx.copyEvents(note, planned, out.events);
    // No world switch turns dm-verity off: a run relaxed to unchecked reads does not count the
    // read errors dm-verity gives (the scenario shows what the unchecked read returns).
    const unchecked = this.ctx.config.uncheckedReads && out.result.stoppedBy === 'verity';
    if (unchecked) {
      this.ctx.emit('sim', 'unchecked_read', { note, skipped: out.result.reason });
    }
    this.steps.push({ note, action, result: out.result, counts: counts && !unchecked });
    return out.result;
  }

  /** The first refused step that counts, or allowed with `detail`. */
  outcome(detail: string): Outcome {
    const first = this.steps.find((s) => s.counts && s.result.outcome === 'refused');
    return first === undefined ? allowed(detail) : outcomeOfStep(first.result);
  }

  /** Every step that counts succeeded. */
  allOk(): boolean {
    return this.steps.every((s) => !s.counts || s.result.outcome === 'ok');
  }
}
