/**
 * Goal: the scenario DSL. A scenario is a small module: a name, tags, the threat it stands for
 * (with the paper, fix or issue it comes from), the outcome it expects (`allowed`, or blocked at
 * a named layer with the rule, check or code and a reason), the defence that stops it and how to
 * relax that defence, and a body that drives the world through the host's adversary API.
 * Method: `defineScenario` validates a scenario once, at module load (a typo in an expectation is
 * a load-time assertion, not a silently passing run); outcomes are plain values compared by
 * `outcomeMatches`. Bodies draw every free choice through `Choice` (sim/kernel/rng.ts), so a run
 * is a function of (scenario, seed), and the same body can be sampled or enumerated.
 * Invariants: an attack declares its defence with at least one relaxation; a benign workflow
 * declares none and expects `allowed`; names are unique kebab-case; tags include the group.
 */
import { assert } from '../sim/kernel/assert.js';
import type { Choice } from '../sim/kernel/rng.js';
import type { CheckName } from '../models/guest/confidential-checks.js';
import { CONFIDENTIAL_CHECKS } from '../models/guest/confidential-checks.js';
import type { WorkloadFlags } from '../models/host/confcom.js';
import type { ScenarioContext } from './context.js';

/** The catalog's groups, in the order issue 10 lists them. */
export const SCENARIO_GROUPS = Object.freeze(['paper', 'hardening', 'attestation', 'evidence',
  'confidentiality', 'benign'] as const);
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

/**
 * Where an attack is stopped. The world's refusal layers (models/guest/agent-step.ts
 * RefusalLayer, sim/world.ts StoppedBy) plus the relying party's: the verifier's appraisal of
 * the evidence, the token service, the key broker, and the RMP of guest memory.
 */
export const BLOCK_LAYERS = Object.freeze(['policy', 'structure', 'verity', 'crypt', 'rmp',
  'verifier', 'token_service', 'key_broker', 'firmware', 'hypervisor', 'host', 'message',
  'state', 'io'] as const);
export type BlockLayer = (typeof BLOCK_LAYERS)[number];

/** What a scenario stands for and where it comes from. */
export type Threat = Readonly<{
  summary: string;
  /** e.g. "Parma paper, attack 1", "hcsshim e118801ff", "issue 9", "spec/policy.md (e)". */
  references: readonly string[];
}>;

/** What stopped an attack: the layer, and the rule, check or error code when there is one. */
export type Blocked = Readonly<{
  kind: 'blocked';
  layer: BlockLayer;
  /** The enforcement point that denied (layer policy). */
  rule: string | null;
  /** The Go-side confidential check that refused. */
  check: string | null;
  /** A typed error code: VERIFY_*, SNP_*, GUEST_*, HV_*, the firmware status name. */
  code: string | null;
  reason: string;
}>;

export type Outcome = Readonly<{ kind: 'allowed'; detail: string }> | Blocked;

/** An expectation: allowed, or blocked where and why (reason is a substring of the actual). */
export type Expected =
  | Readonly<{ kind: 'allowed' }>
  | Readonly<{ kind: 'blocked'; layer: BlockLayer; rule?: string; check?: CheckName;
    code?: string; reason: string }>;

/**
 * One way to relax a defence for the proof run. Each names a documented knob: an allow-all
 * policy, a weaker policy flag, an agent check switched off (AgentOptions.checks), a verifier
 * option or a verifier without one named check, a platform that never committed its TCB, a key
 * release policy without some claims, a guest launched with DEBUG, or (where the world has no
 * switch) reads that skip the named integrity check.
 */
export type Relaxation =
  | Readonly<{ kind: 'allow-all-policy' }>
  | Readonly<{ kind: 'policy-flags'; flags: Partial<WorkloadFlags> }>
  | Readonly<{ kind: 'agent-check'; check: CheckName }>
  | Readonly<{ kind: 'verifier'; what: string; change: VerifierRelaxation }>
  | Readonly<{ kind: 'platform'; what: string; change: PlatformRelaxation }>
  | Readonly<{ kind: 'key-broker'; what: string; change: KeyBrokerRelaxation }>
  | Readonly<{ kind: 'launch'; what: string; guestPolicy: string }>
  | Readonly<{ kind: 'unchecked-reads'; what: string }>;

/** The key owner's weaker choices: a release policy without some claims, Azure's token window. */
export type KeyBrokerRelaxation = Readonly<{
  /** Conditions on these claims are left out of the key's release policy. */
  dropClaims?: readonly string[];
  /** Tokens are fresh by their validity window, not by a broker nonce. */
  tokenWindow?: boolean;
}>;

/** How the relaxed relying party differs from the strict one. */
export type VerifierRelaxation = Readonly<{
  /** Failures with these VERIFY_* codes are not counted. */
  ignoreCodes?: readonly string[];
  /** Failures of these report-ABI rules (models/snp/report-abi.ts) are not counted. */
  ignoreRules?: readonly string[];
  /** Reserved bits and bytes inside the signed span are tolerated (`strictReserved: false`). */
  lenientReserved?: boolean;
  /** Appraisal expectations the relaxed relying party does not have. */
  dropExpectations?: readonly ('measurement' | 'hostData' | 'reportData' | 'minTcb' | 'maxVmpl'
    | 'requiredPolicyBits')[];
  allowDebug?: boolean;
  /** Accept either endorsement key (VCEK or VLEK). */
  anySigningKey?: boolean;
  /** Trust the ARK the evidence carries (no pinned root). */
  trustEvidenceRoot?: boolean;
  /** Do not check revocation (no CRL). */
  skipCrl?: boolean;
  /** Judge the TCB by CURRENT_TCB instead of REPORTED_TCB. */
  judgeCurrentTcb?: boolean;
}>;

export type PlatformRelaxation = Readonly<{
  /** The platform never ran SNP_COMMIT: its anti-rollback floor stays at the oldest firmware. */
  neverCommitted?: boolean;
}>;

export type Defence = Readonly<{
  /** What stops the attack, in one line. */
  summary: string;
  /** Applied together for the proof run (layered defences are all named). */
  relax: readonly Relaxation[];
}>;

/**
 * The hcsshim fix of an attack class: the scenario runs once more against the agent of that era
 * (the `v0.14.1` policy dialect, and the Go-side checks that came with the 2025 hardening
 * switched off), and states what happened there.
 */
export type History = Readonly<{
  fix: string;
  /** What the attack achieves against the old agent. */
  expected: Expected;
}>;

export type ScenarioKind = 'attack' | 'benign';

export type Scenario = Readonly<{
  name: string;
  group: ScenarioGroup;
  kind: ScenarioKind;
  tags: readonly string[];
  threat: Threat;
  expected: Expected;
  /** Attacks only: what stops it and how to relax it. */
  defence: Defence | null;
  history: History | null;
  body: (ctx: ScenarioContext) => Outcome;
}>;

export type ScenarioSpec = Omit<Scenario, 'tags' | 'defence' | 'history'> & Readonly<{
  tags?: readonly string[];
  defence?: Defence;
  history?: History;
}>;

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function checkExpected(expected: Expected, where: string): void {
  if (expected.kind === 'allowed') return;
  assert((BLOCK_LAYERS as readonly string[]).includes(expected.layer), `${where}: a known layer`);
  assert(expected.reason.length > 0, `${where}: a blocked expectation says why`);
  if (expected.check !== undefined) {
    assert(Object.hasOwn(CONFIDENTIAL_CHECKS, expected.check), `${where}: a known check`);
  }
  if (expected.layer === 'policy') assert(expected.rule !== undefined, `${where}: names a rule`);
}

/** A scenario, validated: its tags always include its group and its kind. */
export function defineScenario(spec: ScenarioSpec): Scenario {
  assert(NAME.test(spec.name), `scenario name ${spec.name} is kebab-case`);
  assert(spec.threat.summary.length > 0 && spec.threat.references.length > 0,
    `${spec.name}: a threat with a reference`);
  checkExpected(spec.expected, spec.name);
  if (spec.kind === 'attack') {
    assert(spec.defence !== undefined && spec.defence.relax.length > 0,
      `${spec.name}: an attack declares the defence that stops it and how to relax it`);
    assert(spec.expected.kind === 'blocked', `${spec.name}: an attack is expected blocked`);
  } else {
    assert(spec.defence === undefined && spec.history === undefined,
      `${spec.name}: a benign workflow has no defence`);
    assert(spec.expected.kind === 'allowed', `${spec.name}: a benign workflow is allowed`);
  }
  if (spec.history !== undefined) checkExpected(spec.history.expected, `${spec.name} history`);
  for (const relax of spec.defence?.relax ?? []) {
    if (relax.kind === 'agent-check') {
      assert(Object.hasOwn(CONFIDENTIAL_CHECKS, relax.check), `${spec.name}: a known check`);
    }
  }
  const tags = [...new Set([spec.group, spec.kind, ...(spec.tags ?? [])])].sort();
  return Object.freeze({ ...spec, tags: Object.freeze(tags), defence: spec.defence ?? null,
    history: spec.history ?? null });
}

/** Does `actual` satisfy `expected`? Layer, rule, check and code exactly; reason as substring. */
export function outcomeMatches(expected: Expected, actual: Outcome): boolean {
  if (expected.kind === 'allowed') return actual.kind === 'allowed';
  if (actual.kind !== 'blocked') return false;
  if (actual.layer !== expected.layer) return false;
  if (expected.rule !== undefined && actual.rule !== expected.rule) return false;
  if (expected.check !== undefined && actual.check !== expected.check) return false;
  if (expected.code !== undefined && actual.code !== expected.code) return false;
  return actual.reason.includes(expected.reason);
}

/** One line: "allowed" or "blocked at policy (mount_device): deviceHash not found". */
export function describeOutcome(outcome: Outcome | Expected): string {
  if (outcome.kind === 'allowed') return 'allowed';
  const named = [outcome.rule, outcome.check, outcome.code].filter((x) =>
    typeof x === 'string' && x.length > 0);
  return `blocked at ${outcome.layer}${named.length > 0 ? ` (${named.join(', ')})` : ''}: `
    + `${outcome.reason}`;
}

export function allowed(detail: string): Outcome {
  return Object.freeze({ kind: 'allowed', detail });
}

export function blocked(layer: BlockLayer, reason: string,
  more: Readonly<{ rule?: string | null; check?: string | null; code?: string | null }> = {},
): Blocked {
  assert(reason.length > 0, 'a block says why');
  return Object.freeze({ kind: 'blocked', layer, reason, rule: more.rule ?? null,
    check: more.check ?? null, code: more.code ?? null });
}

/** A Choice is all a body may draw from; re-exported so catalog modules import one place. */
export type { Choice };
