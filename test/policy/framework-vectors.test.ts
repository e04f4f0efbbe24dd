/**
 * Goal: the engine agrees with hcsshim's real framework.rego / api.rego (HEAD and v0.14.1, run
 * under a real Rego engine) on every recorded step of ../shared/testdata/vectors/
 * policy-decisions.json: the decision, the framework's own reason set, env_list, caps_list,
 * allow_stdio_access and the metadata actions.
 * Method: the replay procedure of policy-decisions.SOURCES.md ("Replaying"): each sequence runs
 * in-process from the dialect's starting metadata, threading the engine's own metadata from step
 * to step. Expected values come only from the vector file; the first disagreement of each
 * sequence is reported (a later one may be its consequence). One test per sequence; a summary
 * line per dialect gives the agreement figures.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { evaluateEnforcementPoint, type Decision } from '../../models/policy/engine.js';
import { initialMetadata } from '../../models/policy/metadata.js';
import type { PolicyDialect } from '../../models/policy/dialect.js';
import { SHARED_DIR } from '../support/paths.js';
import { shared, sharedTest, sharedTests } from '../support/requires.js';

const SUITE = 'policy/framework-vectors';

type ExpectedOp = Readonly<{ name: string; action: string; key?: string }>;
type Expected = Readonly<{
  allowed: boolean;
  deny?: 'reason' | 'error';
  reasons?: readonly string[] | null;
  error?: string;
  delta?: readonly ExpectedOp[];
  env_list?: readonly string[];
  caps_list?: Readonly<Record<string, readonly string[]>>;
  allow_stdio_access?: boolean;
}>;
type Step = Readonly<{ rule: string; input: unknown; tag: string; expected: Expected }>;
type Sequence = Readonly<{
  id: string; policy: string; dialect: PolicyDialect; kind: string; steps: readonly Step[];
}>;

/** Per dialect: steps, agreeing decisions, reason sets (both deny), outputs (both allow). */
type Tally = { steps: number; decisions: number; denials: number; reasonSets: number;
  allows: number; outputs: number };

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

function expectedReasons(e: Expected): readonly string[] | null {
  if (e.deny === 'error') return [e.error ?? ''];
  return e.reasons ?? null;
}

function reasonsAgree(e: Expected, d: Decision): boolean {
  const want = expectedReasons(e);
  const got = d.framework_reasons;
  if (want === null || got === null) return want === got;
  return sameSet(want, got);
}

/** What differs in the outputs of a step both sides allow; '' when nothing does. */
function outputDifference(e: Expected, d: Decision): string {
  const wantDelta = (e.delta ?? []).map((op) => `${op.name}/${op.action}/${op.key ?? ''}`);
  const gotDelta = d.delta.map((op) => `${op.name}/${op.action}/${op.key}`);
  if (wantDelta.join('|') !== gotDelta.join('|')) {
    return `delta ${JSON.stringify(gotDelta)} != ${JSON.stringify(wantDelta)}`;
  }
  if ((e.env_list === undefined) !== (d.env_list === undefined)
      || (e.env_list !== undefined && !sameSet(e.env_list, d.env_list!))) {
    return `env_list ${JSON.stringify(d.env_list)} != ${JSON.stringify(e.env_list)}`;
  }
  if ((e.caps_list === undefined) !== (d.caps_list === undefined)) {
    return `caps_list presence ${d.caps_list !== undefined} != ${e.caps_list !== undefined}`;
  }
  if (e.caps_list !== undefined) {
    for (const set of Object.keys(e.caps_list)) {
      const got = (d.caps_list as Readonly<Record<string, readonly string[]>>)[set] ?? [];
      if (!sameSet(e.caps_list[set]!, got)) return `caps_list.${set} differs`;
    }
  }
  if (e.allow_stdio_access !== d.allow_stdio_access) {
    return `allow_stdio_access ${d.allow_stdio_access} != ${e.allow_stdio_access}`;
  }
  return '';
}

const policies = new Map<string, SecurityPolicy>();
function policyFor(path: string): SecurityPolicy {
  let policy = policies.get(path);
  if (policy === undefined) {
    policy = loadSecurityPolicy(new Uint8Array(readFileSync(join(SHARED_DIR, path)))).policy;
    policies.set(path, policy);
  }
  return policy;
}

/** Replays one sequence; returns the first disagreement ('' when none) and tallies every step. */
function replay(sequence: Sequence, tally: Tally): string {
  const policy = policyFor(sequence.policy);
  let metadata = initialMetadata(sequence.dialect);
  let first = '';
  const note = (index: number, step: Step, what: string) => {
    if (first === '') first = `step ${index} ${step.rule} (${step.tag}): ${what}`;
  };
  sequence.steps.forEach((step, index) => {
    const d = evaluateEnforcementPoint(policy, metadata, step.rule, step.input,
      { dialect: sequence.dialect });
    const e = step.expected;
    tally.steps++;
    if (d.allowed !== e.allowed) {
      note(index, step, `allowed ${d.allowed}, framework ${e.allowed}; engine reasons `
        + `${JSON.stringify(d.framework_reasons)}, framework `
        + JSON.stringify(expectedReasons(e)));
    } else if (!e.allowed) {
      tally.decisions++;
      tally.denials++;
      if (reasonsAgree(e, d)) tally.reasonSets++;
      else {
        note(index, step, `reasons ${JSON.stringify(d.framework_reasons)} != `
          + JSON.stringify(expectedReasons(e)));
      }
    } else {
      tally.decisions++;
      tally.allows++;
      const difference = outputDifference(e, d);
      if (difference === '') tally.outputs++;
      else note(index, step, difference);
    }
    metadata = d.metadata;
  });
  return first;
}

let loaded: readonly Sequence[] | undefined;
const sequences = (): readonly Sequence[] => loaded ??= JSON.parse(
  readFileSync(shared('vectors', 'policy-decisions.json'), 'utf8')) as Sequence[];
const tallies = new Map<PolicyDialect, Tally>();

sharedTests(`${SUITE}: every recorded sequence agrees with the framework at every step`, () => {
  for (const sequence of sequences()) {
    test(`${SUITE}: ${sequence.id} agrees with the framework at every step`, () => {
      let tally = tallies.get(sequence.dialect);
      if (tally === undefined) {
        tally = { steps: 0, decisions: 0, denials: 0, reasonSets: 0, allows: 0, outputs: 0 };
        tallies.set(sequence.dialect, tally);
      }
      const first = replay(sequence, tally);
      assert.is(first, '', `${sequence.id}: first disagreement at ${first}`);
    });
  }
});

sharedTest(`${SUITE}: the vector file holds both dialects`, () => {
  assert.ok(sequences().some((s) => s.dialect === 'head'));
  assert.ok(sequences().some((s) => s.dialect === 'v0.14.1'));
  for (const [dialect, t] of [...tallies].sort()) {
    console.log(`${SUITE} ${dialect}: decisions ${t.decisions}/${t.steps}, reason sets `
      + `${t.reasonSets}/${t.denials}, outputs ${t.outputs}/${t.allows}`);
  }
});

test.run();
