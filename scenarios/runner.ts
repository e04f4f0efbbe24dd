/**
 * Goal: run a scenario and judge it. The main run must give the expected outcome; an attack is
 * run once more with its defence relaxed and must then succeed (so a block "by accident or by a
 * typo" fails the scenario); an attack whose class hcsshim fixed runs once more against the
 * agent of the v0.14.1 era and must do what the scenario says it did there.
 * Method: each run gets a fresh ScenarioContext (its own trace and Choice stream) and a RunConfig
 * built from the scenario's declarations; a body that throws gives an `error` outcome, which
 * never passes (Jepsen: a crashed checker is "unknown", not "valid"). The trace of a scenario is
 * the JSONL of its runs, each behind a header line; its SHA-256 is the scenario's trace hash.
 * Invariants: the result is a function of (scenario, seed) only; `pass` is true only when every
 * run that applies came out as declared.
 */
import { createHash } from 'node:crypto';
import { assert } from '../sim/kernel/assert.js';
import { canonicalJson } from '../sim/kernel/canonical-json.js';
import { canonicalSeed, type Choice, type Seed } from '../sim/kernel/rng.js';
import type { TraceEvent } from '../sim/kernel/trace.js';
import { SimError } from '../sim/kernel/errors.js';
import {
  CONFIDENTIAL_CHECKS, CHECK_NAMES, type CheckName,
} from '../models/guest/confidential-checks.js';
import {
  describeOutcome, outcomeMatches, type Expected, type Outcome, type Scenario,
  type VerifierRelaxation,
} from './dsl.js';
import { MAIN_CONFIG, ScenarioContext, type RunConfig, type Variant } from './context.js';
import { enumeratePaths } from './choice.js';

/**
 * The Go-side checks of the 2025 hardening (every check but the original HOST_DATA binding):
 * the v0.14.1 agent had none of them (its framework lacks the matching Rego checks too, spec
 * policy.md c and e) [inferred from the fix dates; the tag predates df52d6665 and 3f1758f95].
 */
export const V0_14_1_CHECKS_OFF: readonly CheckName[] = Object.freeze(
  CHECK_NAMES.filter((name) => CONFIDENTIAL_CHECKS[name].fix !== 'original'));

export type RunOutcome = Outcome | Readonly<{ kind: 'error'; reason: string }>;

export type VariantResult = Readonly<{
  variant: Variant;
  outcome: RunOutcome;
  /** Did this run do what the scenario declares for it? */
  asDeclared: boolean;
  events: readonly TraceEvent[];
}>;

export type ScenarioResult = Readonly<{
  scenario: Scenario;
  seed: string;
  runs: readonly VariantResult[];
  pass: boolean;
  traceJsonl: string;
  traceSha256: string;
}>;

function mergeVerifier(a: VerifierRelaxation, b: VerifierRelaxation): VerifierRelaxation {
  const list = <T>(x: readonly T[] | undefined, y: readonly T[] | undefined): readonly T[] =>
    [...(x ?? []), ...(y ?? [])];
  return { ...a, ...b, ignoreCodes: list(a.ignoreCodes, b.ignoreCodes),
    ignoreRules: list(a.ignoreRules, b.ignoreRules),
    dropExpectations: list(a.dropExpectations, b.dropExpectations) };
}

/** The configuration of the relaxed run: every relaxation of the defence applied. */
export function relaxedConfig(scenario: Scenario): RunConfig {
  assert(scenario.defence !== null, 'only attacks have a relaxed run');
  let config: RunConfig = { ...MAIN_CONFIG, variant: 'relaxed' };
  for (const relax of scenario.defence.relax) {
    switch (relax.kind) {
      case 'allow-all-policy': config = { ...config, allowAllPolicy: true }; break;
      case 'policy-flags':
        config = { ...config, policyFlags: { ...config.policyFlags, ...relax.flags } };
        break;
      case 'agent-check':
        config = { ...config, checksOff: [...config.checksOff, relax.check] };
        break;
      case 'verifier':
        config = { ...config, verifier: mergeVerifier(config.verifier, relax.change) };
        break;
      case 'platform':
        config = { ...config, platform: { ...config.platform, ...relax.change } };
        break;
      case 'key-broker':
        config = { ...config, keyBroker: { dropClaims: [...config.keyBroker.dropClaims ?? [],
          ...relax.change.dropClaims ?? []], tokenWindow: config.keyBroker.tokenWindow === true
          || relax.change.tokenWindow === true } };
        break;
      case 'launch': config = { ...config, guestPolicy: relax.guestPolicy }; break;
      case 'unchecked-reads': config = { ...config, uncheckedReads: true }; break;
    }
  }
  assert(config !== MAIN_CONFIG, 'a relaxed run differs from the main run');
  return config;
}

/** The agent of hcsshim v0.14.1: its policy dialect, without the later Go-side checks. */
export const HISTORICAL_CONFIG: RunConfig = Object.freeze({
  ...MAIN_CONFIG, variant: 'historical', dialect: 'v0.14.1', checksOff: V0_14_1_CHECKS_OFF,
});

/** Makes the Choice of one run (a fresh stream, or a replay of one enumerated path). */
export type ChoiceSource = () => Choice;

function runOnce(scenario: Scenario, seed: string, config: RunConfig,
  choices?: ChoiceSource): Readonly<{ outcome: RunOutcome; events: readonly TraceEvent[] }> {
  const ctx = new ScenarioContext(scenario.name, seed, config, choices?.());
  let outcome: RunOutcome;
  try {
    outcome = scenario.body(ctx);
  } catch (error) {
    const what = error instanceof SimError ? `${error.code}: ${error.message}`
      : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    outcome = { kind: 'error', reason: what };
    ctx.emit('sim', 'error', { reason: what });
  }
  ctx.emit('sim', 'outcome', { outcome: outcome as unknown as Record<string, string> });
  return { outcome, events: ctx.trace.all() };
}

function matches(expected: Expected, outcome: RunOutcome): boolean {
  return outcome.kind !== 'error' && outcomeMatches(expected, outcome);
}

/** One line for any run outcome. */
export function describeRunOutcome(outcome: RunOutcome): string {
  return outcome.kind === 'error' ? `error: ${outcome.reason}` : describeOutcome(outcome);
}

/** Runs a scenario's main run and, as it declares, its relaxed and historical runs. */
export function runScenario(scenario: Scenario, seed: Seed,
  choices?: ChoiceSource): ScenarioResult {
  const text = canonicalSeed(seed);
  const plans: [RunConfig, Expected][] = [[MAIN_CONFIG, scenario.expected]];
  if (scenario.defence !== null) plans.push([relaxedConfig(scenario), { kind: 'allowed' }]);
  if (scenario.history !== null) plans.push([HISTORICAL_CONFIG, scenario.history.expected]);
  const runs: VariantResult[] = [];
  const lines: string[] = [];
  for (const [config, expected] of plans) {
    const { outcome, events } = runOnce(scenario, text, config, choices);
    runs.push({ variant: config.variant, outcome, asDeclared: matches(expected, outcome),
      events });
    lines.push(canonicalJson({ scenario: scenario.name, variant: config.variant, seed: text }));
    for (const event of events) lines.push(canonicalJson(event));
  }
  const traceJsonl = `${lines.join('\n')}\n`;
  const pass = runs.every((run) => run.asDeclared);
  assert(runs[0]!.variant === 'main', 'the main run comes first');
  return { scenario, seed: text, runs, pass, traceJsonl,
    traceSha256: createHash('sha256').update(traceJsonl).digest('hex') };
}

/** The run of one variant in a result, if it was run. */
export function runOf(result: ScenarioResult, variant: Variant): VariantResult | undefined {
  return result.runs.find((run) => run.variant === variant);
}

/** Runs a scenario once per path of its choices (depth first, at most `limit` paths). */
export function enumerateScenario(scenario: Scenario, seed: Seed, limit = 64):
  readonly Readonly<{ path: readonly number[]; result: ScenarioResult }>[] {
  return enumeratePaths((choices) => runScenario(scenario, seed, choices), limit)
    .map(({ path, value }) => ({ path, result: value }));
}
